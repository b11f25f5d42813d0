// Any thrown value maps to exactly one catalog code, the response is a valid
// envelope whose status is the HTTP status, nothing secret leaks in safe
// exposure, and each failure is logged exactly once.
import vm from 'node:vm'
import { parseEnvelope } from '@faultline/contract'
import { TRPCError } from '@trpc/server'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { z } from 'zod'
import { type Started, startApp } from './fixtures/app'
import { errors } from './fixtures/catalog'
import { rawQuery } from './fixtures/http'

const SECRET = 'S3CR3T-token-9f2c'
// a 4xx TRPCError's own message is sent by design, as stock tRPC sends it
const DELIBERATE = 'The order was not found'

function circular() {
  const a = new Error(`a ${SECRET}`) as Error & { cause?: unknown }
  const b = new Error(`b ${SECRET}`, { cause: a })
  a.cause = b
  return a
}

function deepCause(depth: number) {
  let e: Error = new Error(`root ${SECRET}`)
  for (let i = 0; i < depth; i++) e = new Error(`level ${i} ${SECRET}`, { cause: e })
  return e
}

const throwingGetters = () =>
  Object.defineProperties(
    {},
    {
      message: {
        enumerable: true,
        get: () => {
          throw new Error(SECRET)
        },
      },
      name: {
        enumerable: true,
        get: () => {
          throw new Error(SECRET)
        },
      },
    },
  )

const hostileProxy = () =>
  new Proxy(
    {},
    {
      get: () => {
        throw new Error(SECRET)
      },
      has: () => {
        throw new Error(SECRET)
      },
      ownKeys: () => {
        throw new Error(SECRET)
      },
      getPrototypeOf: () => {
        throw new Error(SECRET)
      },
      getOwnPropertyDescriptor: () => {
        throw new Error(SECRET)
      },
    },
  )

const CASES: [label: string, make: () => unknown, code: string][] = [
  ['Error', () => new Error(SECRET), 'INTERNAL'],
  ['TypeError', () => new TypeError(SECRET), 'INTERNAL'],
  ['RangeError', () => new RangeError(SECRET), 'INTERNAL'],
  ['a subclass of Error', () => new (class DbError extends Error {})(SECRET), 'INTERNAL'],
  ['AggregateError', () => new AggregateError([new Error(SECRET)], SECRET), 'INTERNAL'],
  ['a string', () => SECRET, 'INTERNAL'],
  ['a number', () => 42, 'INTERNAL'],
  ['a bigint', () => 10n, 'INTERNAL'],
  ['a symbol', () => Symbol(SECRET), 'INTERNAL'],
  ['null', () => null, 'INTERNAL'],
  ['undefined', () => undefined, 'INTERNAL'],
  ['a plain object', () => ({ message: SECRET, code: 'NOT_FOUND' }), 'INTERNAL'],
  ['an object with throwing getters', throwingGetters, 'INTERNAL'],
  ['a Proxy that throws on every trap', hostileProxy, 'INTERNAL'],
  ['a circular cause chain', circular, 'INTERNAL'],
  ['a 10,000-deep cause chain', () => deepCause(10_000), 'INTERNAL'],
  ['a megabyte message', () => new Error(`${SECRET}${'x'.repeat(1_000_000)}`), 'INTERNAL'],
  ['a cross-realm Error', () => vm.runInNewContext(`new Error(${JSON.stringify(SECRET)})`), 'INTERNAL'],
  [
    'a cross-realm TypeError',
    () =>
      vm.runInNewContext(`(() => { try { null.x } catch (e) { e.message += ${JSON.stringify(SECRET)}; return e } })()`),
    'INTERNAL',
  ],
  [
    'a ZodError thrown in a resolver (a server bug, not input)',
    () => z.string().safeParse(SECRET.length).error,
    'INTERNAL',
  ],
  [
    'a TRPCError INTERNAL_SERVER_ERROR',
    () => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: SECRET }),
    'INTERNAL',
  ],
  ['a TRPCError NOT_FOUND', () => new TRPCError({ code: 'NOT_FOUND', message: DELIBERATE }), 'NOT_FOUND'],
  ['a TRPCError UNAUTHORIZED', () => new TRPCError({ code: 'UNAUTHORIZED', message: DELIBERATE }), 'UNAUTHORIZED'],
  [
    'a TRPCError TOO_MANY_REQUESTS',
    () => new TRPCError({ code: 'TOO_MANY_REQUESTS', message: DELIBERATE }),
    'RATE_LIMITED',
  ],
  ['a TRPCError CONFLICT (no built-in)', () => new TRPCError({ code: 'CONFLICT', message: DELIBERATE }), 'BAD_REQUEST'],
  [
    'a TRPCError wrapping a catalog error',
    () => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: errors.USER_NOT_FOUND({ userId: 'u' }) }),
    'USER_NOT_FOUND',
  ],
  [
    'a catalog error with a secret cause',
    () => errors.USER_NOT_FOUND({ userId: 'u' }, { cause: new Error(SECRET) }),
    'USER_NOT_FOUND',
  ],
  [
    'a catalog error with unserializable data',
    () => errors.USER_NOT_FOUND({ userId: 'u', extra: 1n } as never),
    'USER_NOT_FOUND',
  ],
]

let app: Started
beforeAll(async () => {
  app = await startApp({ expose: 'safe', thrown: CASES.map(([, make]) => make) })
})
beforeEach(() => {
  app.log.clear()
  app.reports.splice(0)
})
afterAll(() => app.close())

test.each(CASES.map(([label, , code], i) => [label, i, code] as const))(
  '%s maps to one code',
  async (_label, index, code) => {
    const res = await rawQuery(app.url, 'throwValue', index)
    const parsed = parseEnvelope(res.json.error?.data?.error)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.envelope.code).toBe(code)
    expect(parsed.envelope.status).toBe(res.status)
    expect(res.text).not.toContain(SECRET)
    for (const [, value] of res.headers) expect(value).not.toContain(SECRET)
    expect(app.log.lines).toHaveLength(1)
    expect(app.reports).toHaveLength(1)
    expect(app.reports[0]?.handled).toBe(code !== 'INTERNAL')
  },
)

test('extra keys in error data are stripped by the schema, never sent', async () => {
  const index = CASES.findIndex(([label]) => label === 'a catalog error with unserializable data')
  const res = await rawQuery(app.url, 'throwValue', index)
  expect(res.json.error.data.error.data).toEqual({ userId: 'u' })
})
