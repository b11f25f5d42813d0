// Budgets that are deterministic, so CI can hold them: bytes of the client
// bundle and type instantiations of a 300-procedure router. Timings live in
// `pnpm bench`, never here.
import { expect, test } from 'vitest'
import { measureBundle } from './bundle'
import { measureTypes } from './types'

const CLIENT_BUDGET_BYTES = 2048

test(`Faultline's link and helpers add at most ${CLIENT_BUDGET_BYTES} bytes min+gzip, and pull in no zod and no server code`, async () => {
  const plain = await measureBundle('plain')
  const faultline = await measureBundle('faultline')
  expect(faultline.gzipBytes - plain.gzipBytes).toBeLessThanOrEqual(CLIENT_BUDGET_BYTES)
  expect(faultline.packages).toEqual(['@faultline/client', '@faultline/contract', '@trpc/client', '@trpc/server'])
  const withFetch = await measureBundle('faultline-fetch')
  expect(withFetch.packages).not.toContain('zod')
})

// The goal is 1.10x plain tRPC's instantiations. With the catalog registered (`Register`, the
// setup the README recommends) it is met at every size, 300 procedures included (1.097; see
// BENCHMARKS.md). Without registration it is met at 1,000 and 3,000 procedures but not at 300
// (1.155), so that ratio is held under a guard that keeps it from growing.
const TYPE_RATIO_GOAL = 1.1
const TYPE_RATIO_GUARD = 1.18

test('a 300-procedure router with declared errors and narrowing client code type-checks within the goal when its catalog is registered, and within the guard when not', () => {
  const plain = measureTypes('plain', 300).instantiations
  const registered = measureTypes('faultline', 300, { registered: true }).instantiations
  const unregistered = measureTypes('faultline', 300).instantiations
  expect(registered / plain).toBeLessThanOrEqual(TYPE_RATIO_GOAL)
  expect(unregistered / plain).toBeLessThanOrEqual(TYPE_RATIO_GUARD)
})
