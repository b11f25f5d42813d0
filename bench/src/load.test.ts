// A short run of the load script (pnpm load): every response under mixed load is a valid envelope
// with the HTTP status, nothing leaks, the server survives, and every background failure is
// logged and reported once. Throughput is printed by pnpm load, never asserted.
import superjson from 'superjson'
import { expect, test } from 'vitest'
import { checkResponse, KINDS, type Kind, runLoad } from './load'

const kind = (name: string) => KINDS[name] as Kind
const base = { v: 1, requestId: 'req_1', message: 'x', retry: { retryable: false } }
const internal = { ...base, code: 'INTERNAL', status: 500 }
/** One error item as the server sends it: tRPC's shape, superjson-serialized, the envelope in data.error. */
const errorItem = (env: Record<string, unknown>, httpStatus = env.status) => ({
  error: superjson.serialize({ code: -32603, message: 'x', data: { code: 'X', httpStatus, error: env } }),
})
const text = (value: unknown) => JSON.stringify(value)

test('the response check accepts a valid answer and flags each way one can be wrong', () => {
  const crash = kind('crash')
  expect(checkResponse(crash, 500, text(errorItem(internal)), 'req_1')).toEqual({ leak: false })
  expect(checkResponse(crash, 200, text(errorItem(internal)), 'req_1').invalid).toBe('envelope status 500, HTTP 200')
  expect(checkResponse(crash, 500, text(errorItem({ ...internal, v: 2 })), 'req_1').invalid).toMatch(/version 2/)
  expect(checkResponse(crash, 500, text(errorItem(internal, 404)), 'req_1').invalid).toMatch(/httpStatus/)
  expect(checkResponse(crash, 500, text(errorItem(internal)), 'req_2').invalid).toMatch(/request id/)
  expect(checkResponse(crash, 502, '<html>Bad gateway</html>', undefined).invalid).toMatch(/not JSON/)
  expect(checkResponse(kind('declared'), 500, text(errorItem(internal)), 'req_1').wrong).toBe(
    'item 0: INTERNAL where USER_NOT_FOUND was due',
  )
  const leaked = { ...internal, debug: { message: 'connection to postgres://orders:hunter2@db.internal:5432/orders' } }
  expect(checkResponse(crash, 500, text(errorItem(leaked)), 'req_1').leak).toBe(true)
  // a batch is checked per item, and its status is 207 when its items' statuses differ
  const batch = text([
    { result: { data: superjson.serialize(1) } },
    errorItem(internal),
    errorItem({ ...base, code: 'USER_NOT_FOUND', status: 404 }),
    errorItem({ ...base, code: 'VALIDATION_FAILED', status: 400 }),
  ])
  expect(checkResponse(kind('query batch'), 207, batch, 'req_1')).toEqual({ leak: false })
  expect(checkResponse(kind('query batch'), 200, batch, 'req_1').invalid).toBe('HTTP 200 where the items make it 207')
})

test('5 s of mixed load: every body a valid envelope, no crash, every background failure reported once', async () => {
  const problems: string[] = []
  const r = await runLoad({ seconds: 5, connections: 50, onProblem: (p) => problems.push(p) })
  expect(problems).toEqual([])
  expect(r.responses).toBeGreaterThan(0)
  // every kind of request was made and checked
  expect(Object.keys(r.byKind).sort()).toEqual(
    [
      'crash',
      'declared',
      'invalid',
      'mutation batch',
      'order',
      'query batch',
      'success',
      'taken',
      'unknown path',
      'wrong method',
    ].sort(),
  )
  expect(r.invalidEnvelopes).toBe(0)
  expect(r.wrongAnswers).toBe(0)
  expect(r.leaks).toBe(0)
  expect(r.crashes).toBe(0)
  expect(r.backgroundExpected).toBeGreaterThan(0)
  expect(r.backgroundReported).toBe(r.backgroundExpected)
  expect(r.backgroundLogged).toBe(r.backgroundExpected)
  expect(r.interrupted).toBe(0)
  expect(Object.values(r.faults).every((n) => n === 0)).toBe(true)
})
