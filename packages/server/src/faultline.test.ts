import { FaultlineError } from '@faultline/contract'
import { TRPCError } from '@trpc/server'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { handle } from './engine/handlers'
import { createFaultline } from './faultline'
import type { ReportEvent } from './options'
import { errors, format, recorder } from './server.fixture'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('createFaultline', () => {
  test.each([
    [{}, /`errors` must be a catalog made by defineErrors/],
    [{ errors, validation: { status: 500 } }, /validation.status must be a 4xx status; got 500/],
    [{ errors, expose: 'verbose' }, /expose must be 'safe' or 'debug'; got verbose/],
  ])('refuses bad options %#', (options, message) => {
    expect(() => createFaultline(options as never)).toThrow(message)
  })

  test('an instance without background tasks has no task members to throw at run time', () => {
    const fl = createFaultline({ errors, logger: false })
    expect(Object.keys(fl)).not.toContain('tasks')
    expect('background' in fl || 'taskRouter' in fl).toBe(false)
  })

  test('exposure defaults to safe in production and debug elsewhere', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(createFaultline({ errors, logger: false }).expose).toBe('safe')
    vi.stubEnv('NODE_ENV', 'development')
    expect(createFaultline({ errors, logger: false }).expose).toBe('debug')
  })

  test('the shape is a superset of tRPC default shape with the envelope in data.error', () => {
    const fl = createFaultline({ errors, logger: false, expose: 'safe' })
    expect(format(fl, errors.USER_NOT_FOUND({ userId: 'u' }), 'user.byId')).toEqual({
      code: -32004,
      message: 'User not found',
      data: {
        code: 'NOT_FOUND',
        httpStatus: 404,
        path: 'user.byId',
        error: {
          v: 1,
          code: 'USER_NOT_FOUND',
          status: 404,
          message: 'User not found',
          data: { userId: 'u' },
          requestId: 'r1',
          retry: { retryable: false },
        },
      },
    })
  })

  test('onError and the formatter for the same error log and report exactly once', () => {
    const { lines, logger } = recorder()
    const reports: ReportEvent[] = []
    const fl = createFaultline({ errors, logger, report: (e) => void reports.push(e) })
    const error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('boom') })
    fl.onError({
      error,
      type: 'query',
      path: 'p',
      input: undefined,
      ctx: undefined,
      req: new Request('http://x', { headers: { 'x-request-id': 'from-req' } }),
    })
    const shape = fl.errorFormatter({ error, type: 'query', path: 'p', input: undefined, ctx: undefined, shape: {} })
    expect(lines).toHaveLength(1)
    expect(reports).toHaveLength(1)
    expect(shape.data.error.requestId).toBe('from-req')
  })

  test('log levels: expected 4xx at info, expected 5xx at warn, crashes at error', () => {
    const { lines, logger } = recorder()
    const fl = createFaultline({ errors, logger })
    format(fl, errors.USER_NOT_FOUND({ userId: 'u' }))
    format(fl, errors.UNAVAILABLE())
    format(fl, new RangeError('x'))
    expect(lines.map(([level, obj]) => [level, obj.code, obj.handled])).toEqual([
      ['info', 'USER_NOT_FOUND', true],
      ['warn', 'UNAVAILABLE', true],
      ['error', 'INTERNAL', false],
    ])
    expect(lines[0]?.[2]).toBe('USER_NOT_FOUND (404) on p')
    expect(lines[2]?.[2]).toBe('INTERNAL (500) on p: RangeError: x')
  })

  test('a logger that throws never breaks the answer', () => {
    const boom = () => {
      throw new Error('logger down')
    }
    const fl = createFaultline({ errors, logger: { info: boom, warn: boom, error: boom } })
    expect(format(fl, new Error('x')).data.error.code).toBe('INTERNAL')
  })

  test('a report hook that throws or rejects is logged once and never escapes', async () => {
    const { lines, logger } = recorder()
    const throwing = createFaultline({
      errors,
      logger,
      report: () => {
        throw new Error('sentry down')
      },
    })
    expect(format(throwing, errors.USER_NOT_FOUND({ userId: 'u' })).data.error.code).toBe('USER_NOT_FOUND')
    const rejecting = createFaultline({ errors, logger, report: () => Promise.reject(new Error('otel down')) })
    format(rejecting, errors.USER_NOT_FOUND({ userId: 'u' }))
    await new Promise((r) => setTimeout(r, 0))
    expect(lines.map(([, , msg]) => msg)).toEqual([
      'USER_NOT_FOUND (404) on p',
      'faultline: the report hook failed',
      'USER_NOT_FOUND (404) on p',
      'faultline: the report hook failed',
    ])
  })

  test('an error of a code this server does not know is INTERNAL, with the reason logged', () => {
    const { lines, logger } = recorder()
    const fl = createFaultline({ errors, logger })
    const foreign = new FaultlineError({ code: 'SOMEONE_ELSES', message: 'x', data: undefined })
    expect(format(fl, foreign).data.error.code).toBe('INTERNAL')
    expect(lines[0]?.[1].reason).toBe("SOMEONE_ELSES is not a code of this server's catalog")
  })

  test('an async data schema is a definition bug: INTERNAL, with the reason logged', () => {
    const { lines, logger } = recorder()
    const fl = createFaultline({ errors, logger })
    expect(format(fl, errors.SLOW({ n: 'x' })).data.error.code).toBe('INTERNAL')
    expect(lines[0]?.[1].reason).toMatch(/data schema of SLOW is async/)
  })

  test('a handler that returns something other than a catalog error is INTERNAL', () => {
    const { lines, logger } = recorder()
    const fl = createFaultline({ errors, logger, handlers: [handle(TypeError, () => new Error('nope') as never)] })
    expect(format(fl, new TypeError('x')).data.error.code).toBe('INTERNAL')
    expect(lines[0]?.[1].reason).toBe('a handler returned Error instead of a catalog error')
  })

  test('validation.map replaces the input-validation mapping', () => {
    const fl = createFaultline({
      errors,
      logger: false,
      validation: { map: (issues) => errors.BAD_REQUEST({ message: `${issues.length} bad fields` }) },
    })
    const error = new TRPCError({
      code: 'BAD_REQUEST',
      cause: Object.assign(new Error('x'), { issues: [{ message: 'a' }, { message: 'b' }] }),
    })
    expect(format(fl, error).data.error).toMatchObject({ code: 'BAD_REQUEST', message: '2 bad fields' })
  })

  test('debug exposure adds original message, stack, causes and input; safe adds none', () => {
    const thrown = new Error('db down', { cause: new Error('ECONNREFUSED') })
    const debug = format(createFaultline({ errors, logger: false, expose: 'debug' }), thrown).data.error
    expect(debug.debug).toMatchObject({
      message: 'db down',
      input: { q: 1 },
      cause: [{ name: 'Error', message: 'ECONNREFUSED' }],
    })
    expect(debug.debug?.stack).toContain('db down')
    const safe = format(createFaultline({ errors, logger: false, expose: 'safe' }), thrown).data.error
    expect(safe.debug).toBeUndefined()
    expect(JSON.stringify(safe)).not.toContain('ECONNREFUSED')
  })

  test('the trace id from the hook reaches envelope and log; a throwing hook is ignored', () => {
    const { lines, logger } = recorder()
    const fl = createFaultline({ errors, logger, traceId: () => 'trace-1' })
    expect(format(fl, new Error('x')).data.error.traceId).toBe('trace-1')
    expect(lines[0]?.[1].traceId).toBe('trace-1')
    const broken = createFaultline({
      errors,
      logger: false,
      traceId: () => {
        throw new Error('no otel')
      },
    })
    expect(format(broken, new Error('x')).data.error.traceId).toBeUndefined()
  })

  test('an app formatter composes: it receives the Faultline shape and may add fields', () => {
    const fl = createFaultline({ errors, logger: false })
    const formatter = fl.formatter(({ shape }) => ({ ...shape, data: { ...shape.data, region: 'eu' } }))
    const error = new TRPCError({ code: 'NOT_FOUND' })
    const shape = formatter({ error, type: 'query', path: 'p', input: undefined, ctx: undefined, shape: {} })
    expect(shape.data).toMatchObject({ region: 'eu', error: { code: 'NOT_FOUND' } })
  })

  test("the app formatter runs for a declared error too, and one that throws leaves Faultline's shape", () => {
    const fl = createFaultline({ errors, logger: false })
    const formatter = fl.formatter(({ shape, path }) => {
      if (path === 'broken') throw new Error('formatter bug')
      return { ...shape, data: { ...shape.data, region: 'eu' } }
    })
    const declared = fl.declare('USER_NOT_FOUND')
    // as tRPC calls them: the declaration in the procedure's chain, then the root formatter
    const shapeAt = (path: string, userId: string) => {
      const error = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: errors.USER_NOT_FOUND({ userId }) })
      const site = { error, type: 'query' as const, path, input: undefined, ctx: undefined, shape: {} }
      expect(declared(site)).toBeUndefined()
      return formatter(site)
    }
    expect(shapeAt('user.byId', 'u').data).toMatchObject({
      region: 'eu',
      error: { code: 'USER_NOT_FOUND', declared: true },
    })
    const fallback = shapeAt('broken', 'v')
    expect(fallback.data).not.toHaveProperty('region')
    expect(fallback.data.error).toMatchObject({ code: 'USER_NOT_FOUND', declared: true })
    expect(fl.faults().hook).toBe(1)
  })

  test('an instance takes one app formatter: a second is refused, naming why', () => {
    const fl = createFaultline({ errors, logger: false })
    fl.formatter(({ shape }) => shape)
    expect(() => fl.formatter(({ shape }) => shape)).toThrow(/has a formatter already/)
  })

  test('errors carry only valid headers; Retry-After is derived from retryAfterMs', () => {
    const fl = createFaultline({ errors, logger: false })
    const bad = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: errors.RATE_LIMITED({ retryAfterMs: 1500, headers: { 'X-Good': 'yes', 'X-Bad': 'a\r\nb' } }),
    })
    format(fl, bad)
    expect(Object.fromEntries(fl.responseMeta({ ctx: { requestId: 'r1' }, errors: [bad] }).headers ?? [])).toEqual({
      'x-good': 'yes',
      'retry-after': '2',
      'x-request-id': 'r1',
    })
  })

  test('adapter() runs the app own onError and responseMeta after Faultline, merging headers', () => {
    const seen: string[] = []
    const fl = createFaultline({ errors, logger: false })
    const adapter = fl.adapter({
      onError: ({ error }: { error: TRPCError }) => void seen.push(error.code),
      responseMeta: () => ({ status: 299, headers: new Headers({ 'cache-control': 'no-store' }) }),
    })
    const error = new TRPCError({ code: 'NOT_FOUND' })
    adapter.onError({ error, type: 'query', path: 'p', input: undefined, ctx: { requestId: 'r2' }, req: undefined })
    const meta = adapter.responseMeta({ ctx: { requestId: 'r2' }, errors: [error] })
    expect(seen).toEqual(['NOT_FOUND'])
    expect(meta.status).toBe(299)
    expect(Object.fromEntries(meta.headers ?? [])).toEqual({ 'cache-control': 'no-store', 'x-request-id': 'r2' })
  })

  test('the default logger writes one pino-style JSON line to stderr', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    try {
      format(createFaultline({ errors }), errors.USER_NOT_FOUND({ userId: 'u' }))
      expect(write).toHaveBeenCalledTimes(1)
      const line = JSON.parse(String(write.mock.calls[0]?.[0]))
      expect(line).toMatchObject({ level: 'info', code: 'USER_NOT_FOUND', msg: 'USER_NOT_FOUND (404) on p' })
    } finally {
      write.mockRestore()
    }
  })
})
