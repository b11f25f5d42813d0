// Global set-up of the `adoption` tests: packs every package under packages/ once, as `pnpm pack`
// does for a release (prepack builds it from a clean dist, `workspace:` ranges become versions).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { exec } from './exec'

/** One packed package: its name and the path of its tarball. */
export interface Packed {
  name: string
  tarball: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: Packed[]
  }
}

const packagesDir = fileURLToPath(new URL('../../packages/', import.meta.url))

/** Every publishable package, found by listing packages/ so a new one is covered without a change here. */
function packageDirs(): string[] {
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDir, entry.name))
    .filter((dir) => {
      try {
        return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true
      } catch {
        return false
      }
    })
}

async function pack(dir: string, into: string): Promise<Packed> {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }
  const out = join(into, name.replace('/', '+'))
  mkdirSync(out)
  // as in a fresh clone: the tarball then has a dist only if prepack builds one
  rmSync(join(dir, 'dist'), { recursive: true, force: true })
  const ran = await exec('npx', ['-y', 'pnpm@10', 'pack', '--pack-destination', out], { cwd: dir })
  const tarballs = readdirSync(out).filter((file) => file.endsWith('.tgz'))
  if (ran.status !== 0 || tarballs.length !== 1) {
    throw new Error(`pnpm pack failed for ${name} (exit ${ran.status}):\n${ran.stdout}\n${ran.stderr}`)
  }
  return { name, tarball: join(out, tarballs[0] as string) }
}

export default async function setup(project: TestProject) {
  const into = mkdtempSync(join(tmpdir(), 'faultline-packed-'))
  try {
    project.provide('packed', await Promise.all(packageDirs().map((dir) => pack(dir, into))))
  } catch (error) {
    rmSync(into, { recursive: true, force: true })
    throw error
  }
  return () => rmSync(into, { recursive: true, force: true })
}
