// A published package may import only what its manifest makes installed for its users: a
// dependency or a peer. A devDependency is absent from a user's install, so importing one (even
// for types only: the declarations keep the import) breaks their type check or their runtime.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { expect, test } from 'vitest'

const packagesDir = fileURLToPath(new URL('../../packages', import.meta.url))

interface Manifest {
  name: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** `@scope/name/sub/path` and `name/sub` to the package they name. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string)
}

/** The shipped source files of a package: everything under src but tests and their fixtures (`*.fixture.ts`, `fixtures/`). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(
      (file) => /\.tsx?$/.test(file) && !/\.(test|test-d|fixture)\.tsx?$/.test(file) && !file.includes('fixtures'),
    )
    .map((file) => join(dir, file))
}

/** The bare package imports of a file that its manifest does not make installed. */
function undeclaredImports(file: string, manifest: Manifest): string[] {
  const installed = new Set([
    manifest.name,
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ])
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
    .filter((specifier) => !installed.has(packageOf(specifier)))
}

test('every package imports only its dependencies and peers, never a devDependency', () => {
  const found: string[] = []
  for (const name of readdirSync(packagesDir)) {
    const manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as Manifest
    for (const file of sourceFiles(join(packagesDir, name, 'src'))) {
      for (const specifier of undeclaredImports(file, manifest)) found.push(`${manifest.name}: ${specifier} in ${file}`)
    }
  }
  expect(found).toEqual([])
})
