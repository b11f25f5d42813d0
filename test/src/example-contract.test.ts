// The example app's error contract is exported on every run, and its committed
// JSON export and Markdown reference must match: `pnpm errors` regenerates them.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { run } from '@faultline/cli'
import { expect, test } from 'vitest'

const api = fileURLToPath(new URL('../../apps/api/', import.meta.url))

async function cli(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await run(argv, {
    cwd: api,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    load: (file, cwd) => import(join(cwd, file)),
  })
  return { code, out: out.join(''), err: err.join('') }
}

test('the committed errors.json is the current export of the example catalog', async () => {
  const exported = await cli(['export', 'src/contract.ts'])
  expect(exported.err).toBe('')
  expect(exported.out).toBe(readFileSync(join(api, 'errors.json'), 'utf8'))
})

test('the committed ERRORS.md is the current reference, and the export has no breaking change against it', async () => {
  const docs = await cli(['docs', 'errors.json', '--title', 'Example service: error reference'])
  expect(docs.out).toBe(readFileSync(join(api, 'ERRORS.md'), 'utf8'))
  const check = await cli(['check', 'errors.json', 'errors.json'])
  expect(check).toMatchObject({ code: 0, out: 'no breaking changes\n' })
})
