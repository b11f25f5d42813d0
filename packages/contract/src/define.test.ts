import { afterEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { BUILTIN_ERRORS, trpcKeyForStatus } from './codes'
import { CatalogDefinitionError, defineErrors, getDefinition } from './define'
import { FaultlineError } from './error'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  EMAIL_TAKEN: { status: 409, message: 'Email taken', retryable: false, help: 'https://example.test/e' },
  NOT_FOUND: { status: 404, message: 'Nothing here' },
})

describe('defineErrors', () => {
  test('merges every built-in code into the catalog', () => {
    for (const [code, builtin] of Object.entries(BUILTIN_ERRORS)) {
      expect(getDefinition(errors, code)).toMatchObject({ code, status: builtin.status, trpc: builtin.trpc })
    }
  })

  test('a redefined built-in keeps its status and tRPC key but takes the new message', () => {
    expect(errors.definitions.NOT_FOUND).toMatchObject({ status: 404, trpc: 'NOT_FOUND', message: 'Nothing here' })
  })

  test('fills defaults and derives the tRPC key from the status', () => {
    expect(errors.definitions.EMAIL_TAKEN).toEqual({
      code: 'EMAIL_TAKEN',
      status: 409,
      trpc: 'CONFLICT',
      message: 'Email taken',
      data: undefined,
      retryable: false,
      help: 'https://example.test/e',
    })
    expect(errors.definitions.RATE_LIMITED.retryable).toBe(true)
  })

  test('constructors build FaultlineErrors with data and options', () => {
    const cause = new Error('db')
    const err = errors.USER_NOT_FOUND({ userId: 'u1' }, { message: 'No user u1', cause, headers: { 'x-a': '1' } })
    expect(err).toBeInstanceOf(FaultlineError)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ code: 'USER_NOT_FOUND', message: 'No user u1', data: { userId: 'u1' }, cause })
    expect(err.headers).toEqual({ 'x-a': '1' })
    const limited = errors.RATE_LIMITED({ retryAfterMs: 500 })
    expect(limited).toMatchObject({
      code: 'RATE_LIMITED',
      message: 'Too many requests',
      data: undefined,
      retryAfterMs: 500,
    })
  })

  test('unknown codes have no definition, even ones on Object.prototype', () => {
    expect(getDefinition(errors, 'NOPE')).toBeUndefined()
    expect(getDefinition(errors, 'constructor')).toBeUndefined()
  })

  test.each([
    ['a lower-case code', { user_not_found: { status: 404, message: 'x' } }, /user_not_found is not a valid code/],
    [
      'a code over 63 characters',
      { [`A${'_B'.repeat(32)}`]: { status: 404, message: 'x' } },
      /at most 63 characters \(got 65\)/,
    ],
    ['a status under 400', { OK_ISH: { status: 200, message: 'x' } }, /OK_ISH has status 200/],
    ['a status over 599', { WEIRD: { status: 600, message: 'x' } }, /WEIRD has status 600/],
    ['a fractional status', { WEIRD: { status: 404.5, message: 'x' } }, /WEIRD has status 404\.5/],
    ['no message', { QUIET: { status: 400 } }, /QUIET needs a non-empty default message/],
    [
      'a data schema that is not a Standard Schema',
      { BAD: { status: 400, message: 'x', data: { parse() {} } } },
      /BAD has a data schema that is not a Standard Schema/,
    ],
    [
      'a built-in with another status',
      { NOT_FOUND: { status: 410, message: 'Gone' } },
      /NOT_FOUND is built in with status 404/,
    ],
    [
      'a built-in with a data schema',
      { NOT_FOUND: { status: 404, message: 'x', data: z.object({ id: z.string() }) } },
      /NOT_FOUND is built in and the server sends it without data/,
    ],
    ['the reserved transport code', { TRANSPORT_ERROR: { status: 502, message: 'x' } }, /TRANSPORT_ERROR is reserved/],
    ['a non-object definition', { NOPE: 'nope' }, /NOPE must be an object/],
  ])('rejects %s with a message naming the code', (_label, defs, message) => {
    expect(() => defineErrors(defs as never)).toThrow(CatalogDefinitionError)
    expect(() => defineErrors(defs as never)).toThrow(message)
  })

  test('rejects a catalog that is not an object', () => {
    expect(() => defineErrors(null as never)).toThrow(/expected an object/)
    expect(() => defineErrors([] as never)).toThrow(/expected an object/)
  })
})

describe('defineErrors stack traces', () => {
  const defs = { USER_NOT_FOUND: { status: 404, message: 'User not found' } } as const
  const framed = (stack: string | undefined) => stack?.includes('\n    at ') ?? false
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  test('stackTraces: false builds errors whose stack is their first line, and leaves the limit as it was', () => {
    const before = Error.stackTraceLimit
    const err = defineErrors(defs, { stackTraces: false }).USER_NOT_FOUND()
    expect(err.stack).toBe('FaultlineError: User not found')
    expect(Error.stackTraceLimit).toBe(before)
    expect(framed(new Error('after').stack)).toBe(true)
  })

  test('a cause keeps its own stack when the catalog error has none', () => {
    const cause = new Error('db down')
    const err = defineErrors(defs, { stackTraces: false }).USER_NOT_FOUND({ cause })
    expect(framed(err.stack)).toBe(false)
    expect(framed((err.cause as Error).stack)).toBe(true)
  })

  test('stackTraces: true captures one, in production too', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(framed(defineErrors(defs, { stackTraces: true }).USER_NOT_FOUND().stack)).toBe(true)
  })

  test('by default a catalog defined in production skips the stack, elsewhere captures it', () => {
    vi.stubEnv('NODE_ENV', 'production')
    const production = defineErrors(defs)
    vi.stubEnv('NODE_ENV', 'development')
    const development = defineErrors(defs)
    // decided when the catalog is defined, not when an error is built
    expect(framed(production.USER_NOT_FOUND().stack)).toBe(false)
    expect(framed(development.USER_NOT_FOUND().stack)).toBe(true)
  })

  test('where Error.stackTraceLimit cannot be set, errors keep their stack and nothing throws', () => {
    const original = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')
    Object.defineProperty(Error, 'stackTraceLimit', { value: 10, writable: false, configurable: true })
    try {
      expect(framed(defineErrors(defs, { stackTraces: false }).USER_NOT_FOUND().stack)).toBe(true)
    } finally {
      if (original) Object.defineProperty(Error, 'stackTraceLimit', original)
    }
  })

  test.each([
    ['yes', "stackTraces must be true or false; got 'yes'"],
    [1, 'stackTraces must be true or false; got 1'],
  ])('rejects stackTraces %j, naming it', (value, message) => {
    expect(() => defineErrors(defs, { stackTraces: value as never })).toThrow(
      new CatalogDefinitionError(`defineErrors: ${message}`),
    )
  })

  test('rejects options that are not an object', () => {
    expect(() => defineErrors(defs, null as never)).toThrow(/the options must be an object/)
  })
})

describe('trpcKeyForStatus', () => {
  test.each([
    [404, 'NOT_FOUND'],
    [409, 'CONFLICT'],
    [418, 'BAD_REQUEST'],
    [422, 'UNPROCESSABLE_CONTENT'],
    [507, 'INTERNAL_SERVER_ERROR'],
  ])('%i -> %s', (status, key) => {
    expect(trpcKeyForStatus(status)).toBe(key)
  })

  test('gives each status tRPC has a key for that key, and any other the closest', () => {
    const own: Record<number, string> = {
      400: 'BAD_REQUEST',
      401: 'UNAUTHORIZED',
      402: 'PAYMENT_REQUIRED',
      403: 'FORBIDDEN',
      404: 'NOT_FOUND',
      405: 'METHOD_NOT_SUPPORTED',
      408: 'TIMEOUT',
      409: 'CONFLICT',
      412: 'PRECONDITION_FAILED',
      413: 'PAYLOAD_TOO_LARGE',
      415: 'UNSUPPORTED_MEDIA_TYPE',
      422: 'UNPROCESSABLE_CONTENT',
      428: 'PRECONDITION_REQUIRED',
      429: 'TOO_MANY_REQUESTS',
      499: 'CLIENT_CLOSED_REQUEST',
      500: 'INTERNAL_SERVER_ERROR',
      501: 'NOT_IMPLEMENTED',
      502: 'BAD_GATEWAY',
      503: 'SERVICE_UNAVAILABLE',
      504: 'GATEWAY_TIMEOUT',
    }
    for (let status = 0; status < 700; status++) {
      const closest = status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'
      expect(trpcKeyForStatus(status), String(status)).toBe(own[status] ?? closest)
      expect(trpcKeyForStatus(status + 0.5), String(status + 0.5)).toBe(closest)
    }
  })
})

describe('FaultlineError.is', () => {
  test('recognises errors from another copy of the package by brand', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('faultline.error')]: true, code: 'X' })
    expect(FaultlineError.is(foreign)).toBe(true)
    expect(FaultlineError.is(new Error('x'))).toBe(false)
    expect(FaultlineError.is(null)).toBe(false)
    expect(FaultlineError.is('FaultlineError')).toBe(false)
  })

  test('a Proxy that throws on every trap is not one', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap')
        },
      },
    )
    expect(FaultlineError.is(hostile)).toBe(false)
  })
})
