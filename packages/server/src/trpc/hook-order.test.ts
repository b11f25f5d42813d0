// tRPC calls Faultline's hooks in different orders depending on the adapter and the link: a
// declaration in the middleware chain, then onError, the root formatter and responseMeta, or
// responseMeta first and onError without a path (streams). Whatever the order, one failure is
// worked out once: the same envelope, the same single log line, the same single report.
import { defineErrors } from '@faultline/contract'
import { TRPCError } from '@trpc/server'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import type { ReportEvent } from '../engine/log'
import { createFaultline } from '../faultline'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  EMAIL_TAKEN: { status: 409, message: 'Email already registered', data: z.object({ email: z.string() }) },
  RATE_LIMITED: { status: 429, message: 'Too many requests', retryable: true },
})

type Hook = 'declare' | 'onError' | 'onErrorWithoutPath' | 'formatter' | 'responseMeta' | 'emptyResponseMeta'

async function run(order: readonly Hook[], thrown: unknown, declares: boolean) {
  const lines: [string, object, string][] = []
  const reports: ReportEvent[] = []
  const at = (level: string) => (obj: object, msg: string) => void lines.push([level, obj, msg])
  const fl = createFaultline({
    errors,
    expose: 'safe',
    logger: { info: at('info'), warn: at('warn'), error: at('error') },
    report: (event) => void reports.push(event),
  })
  const req = { headers: { 'x-request-id': 'req-order' } }
  const ctx = await fl.createContext()({ req })
  // tRPC wraps what a procedure throws; every hook gets that wrapper
  const error = thrown instanceof TRPCError ? thrown : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: thrown })
  const site = { error, type: 'query' as const, path: 'user.byId', input: { id: 'u_1' } }
  const declaration = fl.declare('USER_NOT_FOUND')
  let shape: unknown
  let headers: Headers | undefined
  for (const hook of order) {
    if (hook === 'declare' && declares) {
      // a middleware's context is tRPC's merged copy of the request's
      shape ??= declaration({ ...site, ctx: { ...ctx, user: 'ada' }, shape: {} })
    } else if (hook === 'onError') fl.onError({ ...site, ctx, req })
    else if (hook === 'onErrorWithoutPath') fl.onError({ ...site, path: undefined, input: undefined, ctx, req })
    else if (hook === 'formatter') shape ??= fl.errorFormatter({ ...site, ctx, shape: {} })
    else if (hook === 'responseMeta') headers = fl.responseMeta({ ctx, errors: [error] }).headers
    else if (hook === 'emptyResponseMeta') fl.responseMeta({ ctx, errors: [] })
  }
  // what the response carries: the shape from whichever formatter ran, the headers from responseMeta
  shape ??= fl.errorFormatter({ ...site, ctx, shape: {} })
  headers ??= fl.responseMeta({ ctx, errors: [error] }).headers
  const { handled, code, status, requestId, path, source, envelope } = reports[0] ?? ({} as ReportEvent)
  return {
    shape,
    headers: Object.fromEntries(headers ?? []),
    lines,
    reports: reports.map(() => ({ handled, code, status, requestId, path, source, envelope })),
  }
}

// Every order tRPC calls the hooks in for a procedure's failure (onError and the root formatter
// either way round, for adapters that differ), and for a stream's item (responseMeta first, with
// no errors yet; onError without the item's path).
const ORDERS: readonly (readonly Hook[])[] = [
  ['declare', 'onError', 'formatter', 'responseMeta'],
  ['declare', 'formatter', 'onError', 'responseMeta'],
  ['declare', 'emptyResponseMeta', 'onErrorWithoutPath', 'formatter'],
  ['declare', 'formatter', 'responseMeta'],
  ['onError', 'formatter', 'responseMeta'],
  ['formatter', 'onError', 'responseMeta'],
  ['emptyResponseMeta', 'onErrorWithoutPath', 'formatter'],
]

const THROWN = {
  'a declared catalog error': () => errors.USER_NOT_FOUND({ userId: 'u_1' }),
  'an undeclared catalog error': () => errors.EMAIL_TAKEN({ email: 'ada@example.test' }),
  'a catalog error with headers': () => errors.RATE_LIMITED({ retryAfterMs: 2_000, headers: { 'Retry-After': '2' } }),
  'an error every procedure may send': () => new TRPCError({ code: 'NOT_FOUND' }),
  'a crash': () => new Error('relation "users" does not exist'),
  'a deliberate TRPCError': () => new TRPCError({ code: 'FORBIDDEN', message: 'Only owners may do that' }),
}

describe.each([true, false])('with a declaration on the procedure: %s', (declares) => {
  test.each(Object.entries(THROWN))('%s: the same failure, log line and report in every order', async (_, make) => {
    // with a declaration, tRPC always runs it first, in the procedure's middleware chain
    const orders = declares ? ORDERS.filter((order) => order[0] === 'declare') : ORDERS
    const results = await Promise.all(orders.map((order) => run(order, make(), declares)))
    const [first] = results
    expect(first?.lines).toHaveLength(1)
    expect(first?.reports).toHaveLength(1)
    expect(first?.headers['x-request-id']).toBe('req-order')
    for (const result of results) expect(result).toEqual(first)
  })
})

test('the declaration is stamped on the envelope whichever hook resolved the failure', async () => {
  const declared = await run(['declare', 'onError', 'responseMeta'], THROWN['a declared catalog error'](), true)
  expect(declared.shape).toMatchObject({ data: { error: { code: 'USER_NOT_FOUND', declared: true } } })
  const violation = await run(['declare', 'onError', 'formatter'], THROWN['an undeclared catalog error'](), true)
  expect(violation.shape).toMatchObject({ data: { error: { code: 'EMAIL_TAKEN', declared: false } } })
  expect(violation.lines[0]?.[1]).toMatchObject({ contractViolation: true })
  const implicit = await run(['declare', 'formatter'], THROWN['an error every procedure may send'](), true)
  expect(implicit.shape).toMatchObject({ data: { error: { code: 'NOT_FOUND' } } })
  expect(implicit.shape).not.toHaveProperty('data.error.declared')
  const withHeaders = await run(['declare', 'formatter'], THROWN['a catalog error with headers'](), true)
  expect(withHeaders.headers['retry-after']).toBe('2')
})
