import { TRPCClientError } from '@trpc/client'
import { describe, expect, test } from 'vitest'
import { FaultlineClientError } from './error'
import { fieldErrors, isFaultlineError, match, safe } from './helpers'

const make = (code: string, extra: object = {}) =>
  new FaultlineClientError({ v: 1, code, status: 400, message: code, retry: { retryable: false }, ...extra })

describe('safe', () => {
  test('returns [data, undefined] on success and [undefined, error] on failure, like tRPC', async () => {
    expect(await safe(Promise.resolve(1))).toEqual([1, undefined])
    const err = make('X')
    expect(await safe(Promise.reject(err))).toEqual([undefined, err])
  })

  test('rehydrates a stock TRPCClientError', async () => {
    const [, err] = await safe(Promise.reject(TRPCClientError.from(new Error('network down'))))
    expect(err).toBeInstanceOf(FaultlineClientError)
    expect(err?.code).toBe('TRANSPORT_ERROR')
  })

  test('rethrows a rejection that is not a tRPC client error', async () => {
    const bug = new TypeError('bug in a link')
    await expect(safe(Promise.reject(bug))).rejects.toBe(bug)
  })
})

describe('match', () => {
  test('calls the handler of the code, else _', () => {
    expect(match(make('A'), { A: () => 'a', _: () => 'other' })).toBe('a')
    expect(match(make('B'), { A: () => 'a', _: (e) => `other ${e.code}` })).toBe('other B')
  })

  test('a code with no handler and no _ rethrows the error', () => {
    const err = make('C')
    expect(() => match(err, { A: () => 1 } as never)).toThrow(err)
  })

  test('codes named like Object.prototype members never resolve to them', () => {
    expect(match(make('CONSTRUCTOR'), { _: () => 'fallback' })).toBe('fallback')
  })

  test('a value that is not a tRPC client error is rethrown', () => {
    const bug = new RangeError('x')
    expect(() => match(bug, { _: () => 1 })).toThrow(bug)
  })
})

describe('isFaultlineError and fieldErrors', () => {
  test('isFaultlineError checks the class and, optionally, the code', () => {
    expect(isFaultlineError(make('A'))).toBe(true)
    expect(isFaultlineError(make('A'), 'A')).toBe(true)
    expect(isFaultlineError(make('A'), 'B')).toBe(false)
    expect(isFaultlineError(new Error('x'))).toBe(false)
    expect(isFaultlineError(null)).toBe(false)
  })

  test('fieldErrors groups issues by field and is empty for anything else', () => {
    const err = make('VALIDATION_FAILED', {
      issues: [
        { path: ['email'], pointer: '/email', code: 'invalid_format', message: 'Invalid email' },
        { path: ['items', 0, 'qty'], pointer: '/items/0/qty', code: 'too_small', message: 'Too small' },
      ],
    })
    expect({ ...fieldErrors(err) }).toEqual({ email: ['Invalid email'], 'items.0.qty': ['Too small'] })
    expect({ ...fieldErrors(make('X')) }).toEqual({})
    expect({ ...fieldErrors('nope') }).toEqual({})
  })
})

describe('fieldErrors regressions', () => {
  test('takes a tRPC client error that was not rehydrated (a rejection from streamed data)', () => {
    const raw = TRPCClientError.from({
      error: {
        code: -32600,
        message: 'x',
        data: {
          code: 'BAD_REQUEST',
          httpStatus: 400,
          error: {
            v: 1,
            code: 'VALIDATION_FAILED',
            status: 400,
            message: 'x',
            retry: { retryable: false },
            issues: [{ path: ['name'], pointer: '/name', code: 'too_small', message: 'Too short' }],
          },
        },
      },
    })
    expect({ ...fieldErrors(raw) }).toEqual({ name: ['Too short'] })
  })
})
