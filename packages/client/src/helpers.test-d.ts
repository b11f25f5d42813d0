import type { AnyEnvelope, ErrorEnvelope } from '@faultline/contract'
import type { TRPCClientError } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { describe, expectTypeOf, test } from 'vitest'
import { FaultlineClientError } from './error'
import { isFaultlineError, match } from './helpers'

describe('untyped errors', () => {
  test('narrowing an error whose codes are not known gives that code with unknown details, not never', () => {
    const err = FaultlineClientError.from(new Error('x'))
    if (isFaultlineError(err, 'USER_NOT_FOUND')) {
      expectTypeOf(err.code).toEqualTypeOf<'USER_NOT_FOUND'>()
      expectTypeOf(err.details).toEqualTypeOf<unknown>()
    }
    const stock = {} as TRPCClientError<AnyRouter>
    if (isFaultlineError(stock, 'USER_NOT_FOUND')) expectTypeOf(stock.code).toEqualTypeOf<'USER_NOT_FOUND'>()
  })

  test('match over an untyped error requires _', () => {
    const err = {} as FaultlineClientError<AnyEnvelope>
    match(err, { USER_NOT_FOUND: () => 1, _: () => 0 })
    // @ts-expect-error the codes are open, so a fallback is required
    match(err, { USER_NOT_FOUND: () => 1 })
  })
})

describe('an error whose envelope is a union', () => {
  test('narrows to the envelope of one code, in isFaultlineError and in each match handler', () => {
    const err = {} as FaultlineClientError<ErrorEnvelope<'A', { a: string }> | ErrorEnvelope<'B', { b: number }>>
    if (isFaultlineError(err, 'A')) expectTypeOf(err.code).toEqualTypeOf<'A'>()
    const out = match(err, {
      A: (e) => expectTypeOf(e.details).toEqualTypeOf<{ a: string }>(),
      B: (e) => expectTypeOf(e.details).toEqualTypeOf<{ b: number }>(),
    })
    expectTypeOf(out).toEqualTypeOf<true>()
    // @ts-expect-error a code the envelope cannot have
    isFaultlineError(err, 'C')
  })
})
