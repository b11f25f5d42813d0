// 500 procedures, each declaring 3 codes: the client's per-procedure unions
// type-check without an "excessively deep" error, and stay precise.
import { type inferProcedureErrors, isFaultlineError, match, safe } from '@faultline/client'
import type { ImplicitCode } from '@faultline/contract'
import type { TRPCClient } from '@trpc/client'
import { describe, expectTypeOf, test } from 'vitest'
import type { LargeRouter } from './generated/large-router'

declare const client: TRPCClient<LargeRouter>
type Always = ImplicitCode | 'TRANSPORT_ERROR'

describe('a 500-procedure router', () => {
  test('the first, a middle and the last procedure keep their own unions', async () => {
    const [, first] = await safe(client.r0.p0.mutate({ id: 'x' }))
    expectTypeOf<NonNullable<typeof first>['code']>().toEqualTypeOf<'CODE_0' | 'CODE_7' | 'CODE_13' | Always>()
    const [, middle] = await safe(client.r25.p1.query())
    // procedure 251 declares codes 11, 18 and 24
    expectTypeOf<NonNullable<typeof middle>['code']>().toEqualTypeOf<'CODE_11' | 'CODE_18' | 'CODE_24' | Always>()
    const [, last] = await safe(client.r49.p9.query())
    // procedure 499 declares codes 19, 26 and 2
    if (isFaultlineError(last, 'CODE_26')) expectTypeOf(last.details).toEqualTypeOf<{ f26: string }>()
    // @ts-expect-error CODE_0 is not declared by r49.p9
    isFaultlineError(last, 'CODE_0')
    if (last) match(last, { CODE_19: () => 1, CODE_26: () => 2, CODE_2: () => 3, _: () => 0 })
  })

  test('inferProcedureErrors works by path at this size', () => {
    expectTypeOf<inferProcedureErrors<LargeRouter, 'r10.p4'>['code']>().toEqualTypeOf<
      'CODE_14' | 'CODE_21' | 'CODE_27' | Always
    >()
  })
})
