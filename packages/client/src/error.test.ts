import { TRPCClientError } from '@trpc/client'
import { describe, expect, test, vi } from 'vitest'
import { FaultlineClientError } from './error'
import { TransportFailure } from './transport'

const envelope = {
  v: 1,
  code: 'USER_NOT_FOUND',
  status: 404,
  message: 'User not found',
  data: { userId: 'u' },
  requestId: 'r1',
  retry: { retryable: false },
}
const shape = {
  code: -32004,
  message: 'User not found',
  data: { code: 'NOT_FOUND', httpStatus: 404, path: 'user.byId', error: envelope },
}

describe('FaultlineClientError.from', () => {
  test('a tRPC error with a valid envelope rehydrates, keeping tRPC fields', () => {
    const err = FaultlineClientError.from(TRPCClientError.from({ error: shape }, { meta: { m: 1 } }))
    expect(err).toBeInstanceOf(FaultlineClientError)
    expect(err).toBeInstanceOf(TRPCClientError)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({
      name: 'FaultlineClientError',
      code: 'USER_NOT_FOUND',
      status: 404,
      message: 'User not found',
      details: { userId: 'u' },
      requestId: 'r1',
      issues: [],
      meta: { m: 1 },
    })
    expect(err.data).toEqual(shape.data)
    expect(err.shape).toEqual(shape)
  })

  test('a rehydrated error captures no stack of its own: its stack names it and its message, and the limit is restored', () => {
    const limit = Error.stackTraceLimit
    const err = FaultlineClientError.from(TRPCClientError.from({ error: shape }))
    expect(Error.stackTraceLimit).toBe(limit)
    expect(err.stack).toBe('FaultlineClientError: User not found')
    // an error made directly still captures one
    expect(new FaultlineClientError(envelope as never).stack).toMatch(/^FaultlineClientError: User not found\n\s+at /)
  })

  test('where Error.stackTraceLimit cannot be set (frozen intrinsics), rehydrates with a stack as usual', () => {
    const limit = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')
    Object.defineProperty(Error, 'stackTraceLimit', { ...limit, writable: false })
    const frozen = vi.spyOn(Object, 'isFrozen').mockImplementation((value) => value === Error)
    try {
      const err = FaultlineClientError.from(TRPCClientError.from({ error: shape }))
      expect(err.code).toBe('USER_NOT_FOUND')
      expect(err.stack).toMatch(/^FaultlineClientError: User not found\n\s+at /)
    } finally {
      frozen.mockRestore()
      Object.defineProperty(Error, 'stackTraceLimit', limit as PropertyDescriptor)
    }
  })

  test("keeps TRPCClientError's own fields, as its constructor sets them", () => {
    const cause = new Error('socket')
    const err = new FaultlineClientError(envelope as never, { cause, meta: { m: 1 } })
    expect(Object.keys(err).slice(0, 5)).toEqual(['cause', 'shape', 'data', 'meta', 'name'])
    expect(err).toMatchObject({ cause, meta: { m: 1 }, name: 'FaultlineClientError' })
    expect(err.data).toBe(err.shape.data)
  })

  test('is idempotent', () => {
    const err = FaultlineClientError.from(TRPCClientError.from({ error: shape }))
    expect(FaultlineClientError.from(err)).toBe(err)
  })

  test('a tRPC error whose envelope is broken becomes TRANSPORT_ERROR saying why', () => {
    const broken = { ...shape, data: { ...shape.data, error: { ...envelope, status: 'x' } } }
    const err = FaultlineClientError.from(TRPCClientError.from({ error: broken }))
    expect(err).toMatchObject({
      code: 'TRANSPORT_ERROR',
      message: 'Malformed error response: envelope status is not an HTTP status',
    })
  })

  test('a TransportFailure cause gives status and body', () => {
    const cause = new TransportFailure({ status: 502, body: '<h1>Bad gateway</h1>', contentType: 'text/html' })
    const err = FaultlineClientError.from(TRPCClientError.from(cause))
    expect(err).toMatchObject({
      code: 'TRANSPORT_ERROR',
      status: 502,
      body: '<h1>Bad gateway</h1>',
      retry: { retryable: true },
    })
    expect(err.cause).toBe(cause)
  })

  test.each([[new Error('x')], ['a string'], [null], [undefined], [42]])(
    'any other value (%s) becomes TRANSPORT_ERROR',
    (value) => {
      const err = FaultlineClientError.from(value)
      expect(err).toMatchObject({ code: 'TRANSPORT_ERROR', status: 0 })
    },
  )
})

describe('rehydration regressions', () => {
  test('a request the caller aborted is not marked retryable', () => {
    const abort = new DOMException('The operation was aborted', 'AbortError')
    const err = FaultlineClientError.from(TRPCClientError.from(abort))
    expect(err).toMatchObject({ code: 'TRANSPORT_ERROR', retry: { retryable: false } })
  })

  test("err.shape keeps the server formatter's fields, never a prototype key or an unchecked envelope member", () => {
    const hostile = JSON.parse(
      JSON.stringify({
        error: {
          ...shape,
          hint: 'h',
          data: { ...shape.data, region: 'eu', evil: 1, error: { ...envelope, sneaky: 2 } },
        },
      })
        .replace('"evil":1', '"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}')
        .replace('"hint":"h"', '"hint":"h","__proto__":{"polluted":true}'),
    )
    const err = FaultlineClientError.from(TRPCClientError.from(hostile))
    expect(err.shape).toEqual({ ...shape, hint: 'h', data: { ...shape.data, region: 'eu' } })
    expect(Object.hasOwn(err.shape, '__proto__')).toBe(false)
    expect(Object.hasOwn(err.shape.data, '__proto__')).toBe(false)
    expect(Object.hasOwn(err.shape.data, 'constructor')).toBe(false)
    expect(Object.getPrototypeOf(err.shape.data)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // the envelope is the checked one: its unknown members are gone
    expect(err.data.error).toBe(err.envelope)
    expect(err.envelope).not.toHaveProperty('sneaky')
    expect(err.data).toBe(err.shape.data)
  })
})

describe('err.data and err.shape, whatever the source', () => {
  const failure = (status: number, body: string, contentType?: string) =>
    new TransportFailure({ status, body, contentType })
  test.each([
    {
      source: 'a gateway page',
      cause: failure(502, '<h1>502</h1>', 'text/html'),
      httpStatus: 502,
      key: 'BAD_GATEWAY',
      rpc: -32603,
    },
    { source: 'an empty 500', cause: failure(500, ''), httpStatus: 500, key: 'INTERNAL_SERVER_ERROR', rpc: -32603 },
    {
      source: 'a 200 that is not tRPC',
      cause: failure(200, '<html>'),
      httpStatus: 200,
      key: 'INTERNAL_SERVER_ERROR',
      rpc: -32603,
    },
    {
      source: 'a network failure',
      cause: new TypeError('fetch failed'),
      httpStatus: 0,
      key: 'INTERNAL_SERVER_ERROR',
      rpc: -32603,
    },
    {
      source: 'an aborted call',
      cause: new DOMException('The operation was aborted', 'AbortError'),
      httpStatus: 0,
      key: 'CLIENT_CLOSED_REQUEST',
      rpc: -32099,
    },
  ])(
    'a transport error from $source has tRPC data: httpStatus $httpStatus, code $key',
    ({ cause, httpStatus, key, rpc }) => {
      const err = FaultlineClientError.from(TRPCClientError.from(cause))
      expect(err.code).toBe('TRANSPORT_ERROR')
      expect(err.data).toEqual({ code: key, httpStatus, error: err.envelope })
      expect(err.shape).toEqual({ code: rpc, message: err.message, data: err.data })
    },
  )

  test('a shape whose envelope does not check becomes a transport error with data read from the status', () => {
    const stock = { code: -32004, message: 'No such thing', data: { code: 'NOT_FOUND', httpStatus: 404, region: 'eu' } }
    const response = new Response('', { status: 404 })
    const err = FaultlineClientError.from(TRPCClientError.from({ error: stock }, { meta: { response } }))
    expect(err.code).toBe('TRANSPORT_ERROR')
    // nothing of an unchecked shape is kept: the server's fields may be anything
    expect(err.data).toEqual({ code: 'NOT_FOUND', httpStatus: 404, error: err.envelope })
  })

  test('an error made from an envelope alone reads its tRPC fields from the envelope', () => {
    const err = new FaultlineClientError({
      v: 1,
      code: 'TIMEOUT',
      status: 408,
      message: 'Timed out',
      retry: { retryable: true },
    })
    expect(err.shape).toEqual({
      code: -32008,
      message: 'Timed out',
      data: { code: 'TIMEOUT', httpStatus: 408, error: err.envelope },
    })
    expect(err.data).toBe(err.shape.data)
  })
})

describe('several copies of @trpc/client installed', () => {
  // package managers can install a second copy of @trpc/client; its errors fail `instanceof`
  class ForeignTRPCClientError extends Error {
    readonly shape: unknown
    constructor(message: string, shape: unknown) {
      super(message)
      this.name = 'TRPCClientError'
      this.shape = shape
    }
  }

  test("another copy's TRPCClientError still rehydrates, through from() and safe()", async () => {
    const foreign = new ForeignTRPCClientError('User not found', shape)
    expect(FaultlineClientError.from(foreign)).toMatchObject({ code: 'USER_NOT_FOUND', details: { userId: 'u' } })
    const { safe } = await import('./helpers')
    const [, err] = await safe(Promise.reject(foreign))
    expect(err?.code).toBe('USER_NOT_FOUND')
  })

  test('a FaultlineClientError is recognised by its brand, not its class', async () => {
    const { isFaultlineError } = await import('./helpers')
    const lookalike = Object.assign(new Error('x'), { [Symbol.for('faultline.clientError')]: true, code: 'X' })
    expect(isFaultlineError(lookalike, 'X' as never)).toBe(true)
  })
})
