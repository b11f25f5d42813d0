import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
// @ts-expect-error a plain ESM script without types
import { generate, PER_ROUTER, ROUTERS } from '../scripts/generate-large-router.mjs'

test('the committed 500-procedure router is what the generator writes', () => {
  expect(ROUTERS * PER_ROUTER).toBe(500)
  const committed = readFileSync(new URL('./generated/large-router.ts', import.meta.url), 'utf8')
  expect(committed).toBe(generate())
})
