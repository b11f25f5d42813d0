// Regressions: each test is named after what broke.
import { defineErrors } from '@faultline/contract'
import { initTRPC, TRPCError } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import type { Logger } from './engine/log'
import { createFaultline } from './faultline'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  CONFLICT: { status: 409, message: 'Conflict', data: z.object({ with: z.string() }) },
  QUOTA: { status: 403, message: 'Quota', data: z.object({ tags: z.map(z.string(), z.number()) }) },
})

function lines() {
  const out: { level: string; obj: Record<string, unknown> }[] = []
  const at = (level: string) => (obj: object) => void out.push({ level, obj: obj as Record<string, unknown> })
  const logger: Logger = { info: at('info'), warn: at('warn'), error: at('error') }
  return { out, logger }
}

const opts = (error: TRPCError, ctx: unknown, input?: unknown) => ({
  error,
  type: 'query' as const,
  path: 'p',
  input,
  ctx,
  shape: {},
})

describe('regressions', () => {
  test('a shared TRPCError thrown by two requests is resolved, logged and reported for each', () => {
    const log = lines()
    const fl = createFaultline({ errors, logger: log.logger, expose: 'debug' })
    const shared = new TRPCError({ code: 'NOT_FOUND' })
    const a = fl.errorFormatter(opts(shared, { requestId: 'req-A' }, { secretOfA: 'tokenA' }))
    const b = fl.errorFormatter(opts(shared, { requestId: 'req-B' }, { mine: 'B' }))
    expect(a.data.error.requestId).toBe('req-A')
    expect(b.data.error.requestId).toBe('req-B')
    expect(JSON.stringify(b)).not.toContain('tokenA')
    expect(log.out.map((l) => l.obj.requestId)).toEqual(['req-A', 'req-B'])
  })

  test("a shared TRPCError a declaration covers is answered under each request's id, not the first's", async () => {
    const log = lines()
    const fl = createFaultline({ errors, logger: log.logger })
    const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
    const shared = new TRPCError({ code: 'NOT_FOUND', cause: errors.USER_NOT_FOUND({ userId: 'u_1' }) })
    const router = t.router({
      byId: t.procedure
        .errors(fl.declare('USER_NOT_FOUND'))
        .input(z.unknown())
        .query(() => {
          throw shared
        }),
    })
    const createContext = fl.createContext()
    const call = async (requestId: string) => {
      const req = new Request('http://x/trpc/byId', { headers: { 'x-request-id': requestId } })
      const res = await fetchRequestHandler({ endpoint: '/trpc', req, router, createContext, ...fl.adapter() })
      return { header: res.headers.get('x-request-id'), text: await res.text() }
    }
    const a = await call('req-A')
    const b = await call('req-B')
    expect(b.header).toBe('req-B')
    expect(JSON.parse(b.text).error.data.error).toMatchObject({
      code: 'USER_NOT_FOUND',
      requestId: 'req-B',
      declared: true,
    })
    expect(b.text).not.toContain('req-A')
    expect(JSON.parse(a.text).error.data.error).toMatchObject({ requestId: 'req-A', declared: true })
    expect(log.out.map((l) => [l.obj.requestId, l.obj.code])).toEqual([
      ['req-A', 'USER_NOT_FOUND'],
      ['req-B', 'USER_NOT_FOUND'],
    ])
  })

  test('toEnvelope on the same error object twice is two failures', () => {
    const log = lines()
    const fl = createFaultline({ errors, logger: log.logger })
    const err = errors.NOT_FOUND()
    expect(fl.toEnvelope(err, { requestId: 'one' }).requestId).toBe('one')
    expect(fl.toEnvelope(err, { requestId: 'two' }).requestId).toBe('two')
    expect(log.out).toHaveLength(2)
  })

  test('onError without a path leaves the failure to the formatter: one log line, the request id kept', () => {
    const log = lines()
    const fl = createFaultline({ errors, logger: log.logger })
    const error = new TRPCError({ code: 'PARSE_ERROR' })
    const req = new Request('http://x', { headers: { 'x-request-id': 'early' } })
    fl.onError({ error, type: 'unknown', path: undefined, input: undefined, ctx: undefined, req })
    expect(log.out).toHaveLength(0)
    const shape = fl.errorFormatter({
      error,
      type: 'unknown',
      path: undefined,
      input: undefined,
      ctx: undefined,
      shape: {},
    })
    expect(shape.data.error).toMatchObject({ code: 'BAD_REQUEST', requestId: 'early' })
    expect(log.out).toHaveLength(1)
  })

  test('a catch-all Error handler does not take over tRPC protocol errors or deliberate TRPCErrors', () => {
    const fl = createFaultline({
      errors,
      logger: false,
      handlers: [{ kind: 'class', cls: Error, fn: () => errors.INTERNAL({ message: 'mapped' }) }],
    })
    const format = (error: TRPCError) => fl.errorFormatter(opts(error, { requestId: 'r' })).data.error
    expect(format(new TRPCError({ code: 'NOT_FOUND', message: 'No procedure found on path "x"' })).code).toBe(
      'NOT_FOUND',
    )
    expect(format(new TRPCError({ code: 'PARSE_ERROR', cause: new SyntaxError('x') })).code).toBe('BAD_REQUEST')
    expect(format(new TRPCError({ code: 'FORBIDDEN' })).code).toBe('FORBIDDEN')
    expect(format(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new TypeError('x') })).message).toBe('mapped')
  })

  test('a catalog code named like a tRPC code is not sent without the data its schema requires', () => {
    const fl = createFaultline({ errors, logger: false })
    const env = fl.errorFormatter(opts(new TRPCError({ code: 'CONFLICT' }), { requestId: 'r' })).data.error
    expect(env).toMatchObject({ code: 'BAD_REQUEST', status: 400 })
    expect(env).not.toHaveProperty('data')
  })

  test('error headers: values normalised, framing, content-type and the request-id header refused', () => {
    const fl = createFaultline({ errors, logger: false })
    const error = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: errors.UNAUTHORIZED({
        headers: {
          'WWW-Authenticate': 'Bearer\r\n',
          'Content-Type': 'text/html',
          'Transfer-Encoding': 'chunked',
          'X-Request-Id': 'forged',
          'Set-Cookie': 'session=; Max-Age=0',
        },
      }),
    })
    fl.errorFormatter(opts(error, { requestId: 'r' }))
    expect(Object.fromEntries(fl.responseMeta({ ctx: { requestId: 'r' }, errors: [error] }).headers ?? [])).toEqual({
      'www-authenticate': 'Bearer',
      'set-cookie': 'session=; Max-Age=0',
      'x-request-id': 'r',
    })
  })

  test('adapter() keeps every Set-Cookie of the app responseMeta, as Headers or as a record', () => {
    const fl = createFaultline({ errors, logger: false })
    const asHeaders = new Headers()
    asHeaders.append('set-cookie', 'a=1')
    asHeaders.append('set-cookie', 'b=2')
    const fromHeaders = fl.adapter({ responseMeta: () => ({ headers: asHeaders }) }).responseMeta({ errors: [] })
    expect(fromHeaders.headers?.getSetCookie()).toEqual(['a=1', 'b=2'])
    const fromRecord = fl
      .adapter({ responseMeta: () => ({ headers: { 'set-cookie': ['c=3', 'd=4'] } }) as never })
      .responseMeta({ errors: [] })
    expect(fromRecord.headers?.getSetCookie()).toEqual(['c=3', 'd=4'])
  })

  test('toProblem leaves out data plain JSON cannot carry, so the body always serializes', () => {
    const fl = createFaultline({ errors, logger: false, transformer: { serialize: (v: unknown) => v } })
    const problem = fl.toProblem(errors.QUOTA({ tags: new Map([['a', 1]]) }))
    expect(problem.body).not.toHaveProperty('data')
    expect(() => JSON.stringify(problem.body)).not.toThrow()
    expect(problem.headers['content-type']).toBe('application/problem+json')
  })

  test('an unsafe ctx.requestId is never echoed', () => {
    const fl = createFaultline({ errors, logger: false })
    const env = fl.errorFormatter(opts(new TRPCError({ code: 'NOT_FOUND' }), { requestId: 'evil\r\nx' })).data.error
    expect(env.requestId).toMatch(/^req_/)
  })

  test('an invalid requestIdHeader option is refused at once', () => {
    expect(() => createFaultline({ errors, requestIdHeader: 'x request id' })).toThrow(/is not a valid header name/)
  })

  test('createContext reads the id from an AWS Lambda event and keeps a class context intact', async () => {
    const fl = createFaultline({ errors, logger: false })
    class Ctx {
      greet() {
        return 'hi'
      }
    }
    const ctx = await fl.createContext(() => new Ctx())({ event: { headers: { 'X-Request-Id': 'lambda-1' } } })
    expect(ctx.requestId).toBe('lambda-1')
    expect(ctx.greet()).toBe('hi')
    expect(ctx).toBeInstanceOf(Ctx)
  })
})
