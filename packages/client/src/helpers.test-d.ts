import type { AnyEnvelope } from '@faultline/contract'
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
