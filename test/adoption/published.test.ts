// Each package as the registry would serve it: built, with real version ranges, and clean under
// publint and are-the-types-wrong (ESM-only profile), the checks a user's install depends on.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { describe, expect, inject, test } from 'vitest'
import { exec } from './exec'

const require = createRequire(import.meta.url)
const attwDir = dirname(require.resolve('@arethetypeswrong/cli/package.json'))
const attw = join(attwDir, JSON.parse(readFileSync(join(attwDir, 'package.json'), 'utf8')).bin.attw)

interface Manifest {
  exports?: unknown
  bin?: Record<string, string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** Every file an export map points to, for any condition but the workspace's own source one. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports]
  if (!exports || typeof exports !== 'object') return []
  return Object.entries(exports).flatMap(([key, value]) => (key === '@faultline/source' ? [] : exportTargets(value)))
}

async function tarballFiles(tarball: string): Promise<{ files: string[]; manifest: Manifest }> {
  const list = await exec('tar', ['-tzf', tarball], { cwd: dirname(tarball) })
  const manifest = await exec('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: dirname(tarball) })
  return {
    files: list.stdout.split('\n').filter(Boolean),
    manifest: JSON.parse(manifest.stdout) as Manifest,
  }
}

describe.concurrent.each(inject('packed'))('$name', ({ tarball }) => {
  test('ships the built files its exports and bin name, and no workspace: range', async () => {
    const { files, manifest } = await tarballFiles(tarball)
    const targets = [...exportTargets(manifest.exports), ...Object.values(manifest.bin ?? {})]
    expect(targets.filter((target) => target.startsWith('./dist/')).length).toBeGreaterThan(0)
    const missing = targets.filter((target) => !files.includes(`package/${target.replace(/^\.\//, '')}`))
    expect(missing).toEqual([])
    const ranges = { ...manifest.dependencies, ...manifest.peerDependencies }
    expect(Object.entries(ranges).filter(([, range]) => range.startsWith('workspace:'))).toEqual([])
  })

  test('publint finds nothing, suggestions and warnings included', async () => {
    const { messages, pkg } = await publint({
      pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
      level: 'suggestion',
      strict: true,
    })
    expect(messages.map((message) => formatMessage(message, pkg, { color: false }))).toEqual([])
  })

  test('are-the-types-wrong finds nothing under the ESM-only profile', async () => {
    const ran = await exec(process.execPath, [attw, tarball, '--profile', 'esm-only', '--format', 'json'], {
      cwd: dirname(tarball),
    })
    const report = JSON.parse(ran.stdout) as { analysis: { types: unknown }; problems: unknown }
    expect(report.analysis.types, 'the tarball ships no types').toBeTruthy()
    expect(ran.status, `attw exit ${ran.status}: ${JSON.stringify(report.problems)}`).toBe(0)
  })
})
