import { TRPCClientError } from '@trpc/client'
import { describe, expect, test } from 'vitest'
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

  test('err.shape is rebuilt from checked parts: nothing the envelope check dropped survives', () => {
    const hostile = JSON.parse(
      JSON.stringify({
        error: { ...shape, extra: 'x', data: { ...shape.data, evil: 1, error: { ...envelope, sneaky: 2 } } },
      }).replace('"evil":1', '"__proto__":{"polluted":true}'),
    )
    const err = FaultlineClientError.from(TRPCClientError.from(hostile))
    expect(err.shape).toEqual(shape)
    expect(Object.hasOwn(err.shape?.data ?? {}, '__proto__')).toBe(false)
    expect(err.data).toBe(err.shape?.data)
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
