import { type FaultlineClientError, type inferFaultlineError, isFaultlineError, match, safe } from '@faultline/client'
import type { inferErrorData } from '@faultline/contract'
import type { createTRPCClient, TRPCClientErrorLike } from '@trpc/client'
import type { inferRouterError } from '@trpc/server'
import { describe, expectTypeOf, test } from 'vitest'
import type { AppRouter } from './fixtures/app'
import type { errors } from './fixtures/catalog'

declare const client: ReturnType<typeof createTRPCClient<AppRouter>>

describe('typed client errors', () => {
  test('safe yields [data, error] with the error typed from the router', async () => {
    const [data, err] = await safe(client.user.byId.query({ id: 'u' }))
    if (err) {
      expectTypeOf(err).toExtend<FaultlineClientError>()
      expectTypeOf(data).toEqualTypeOf<undefined>()
      expectTypeOf(err.code).toExtend<string>()
      expectTypeOf<'USER_NOT_FOUND'>().toExtend<typeof err.code>()
      expectTypeOf<'TRANSPORT_ERROR'>().toExtend<typeof err.code>()
    } else {
      expectTypeOf(data).toEqualTypeOf<{ id: string; name: string }>()
    }
  })

  test('isFaultlineError narrows by code and types details', async () => {
    const [, err] = await safe(client.user.byId.query({ id: 'u' }))
    if (isFaultlineError(err, 'USER_NOT_FOUND')) {
      expectTypeOf(err.code).toEqualTypeOf<'USER_NOT_FOUND'>()
      expectTypeOf(err.details).toEqualTypeOf<{ userId: string }>()
    }
    if (isFaultlineError(err, 'AUDIT_FAILED')) {
      expectTypeOf(err.details.at).toEqualTypeOf<Date>()
      expectTypeOf(err.details.tags).toEqualTypeOf<Map<string, number>>()
    }
    if (isFaultlineError(err, 'RATE_LIMITED')) expectTypeOf(err.details).toEqualTypeOf<undefined>()
    // @ts-expect-error a code the catalog does not have
    isFaultlineError(err, 'NO_SUCH_CODE')
  })

  test('comparing err.code narrows the union too', async () => {
    const [, err] = await safe(client.user.byId.query({ id: 'u' }))
    if (err?.code === 'EMAIL_TAKEN') expectTypeOf(err.details).toEqualTypeOf<{ email: string }>()
  })

  test('match is exhaustive without _ and rejects unknown codes', async () => {
    const [, err] = await safe(client.user.byId.query({ id: 'u' }))
    if (!err) return
    const withDefault = match(err, { USER_NOT_FOUND: (e) => e.details.userId, _: () => 0 })
    expectTypeOf(withDefault).toEqualTypeOf<string | number>()
    // @ts-expect-error missing cases and no _
    match(err, { USER_NOT_FOUND: () => 1 })
    // @ts-expect-error a code the catalog does not have
    match(err, { NO_SUCH_CODE: () => 1, _: () => 0 })
    // @ts-expect-error a possibly-undefined error must be checked first
    match(undefined as typeof err | undefined, { _: () => 0 })
  })

  test('an unknown error narrows to a Faultline error with unknown details', () => {
    const err: unknown = new Error('x')
    if (isFaultlineError(err)) expectTypeOf(err).toEqualTypeOf<FaultlineClientError>()
    if (isFaultlineError(err, 'ANYTHING')) expectTypeOf(err.code).toEqualTypeOf<'ANYTHING'>()
  })

  test("React Query's error type (TRPCClientErrorLike) narrows to the router's errors", () => {
    const err = {} as TRPCClientErrorLike<AppRouter> | null
    if (isFaultlineError(err, 'USER_NOT_FOUND')) expectTypeOf(err.details.userId).toEqualTypeOf<string>()
    expectTypeOf<inferFaultlineError<TRPCClientErrorLike<AppRouter>>['code']>().toEqualTypeOf<
      inferRouterError<AppRouter>['data']['error']['code'] | 'TRANSPORT_ERROR'
    >()
  })

  test("the router's error shape carries the catalog's envelope union", () => {
    type Envelope = inferRouterError<AppRouter>['data']['error']
    expectTypeOf<Extract<Envelope, { code: 'USER_NOT_FOUND' }>['data']>().toEqualTypeOf<
      inferErrorData<typeof errors, 'USER_NOT_FOUND'>
    >()
    expectTypeOf<inferRouterError<AppRouter>['data']['httpStatus']>().toEqualTypeOf<number>()
  })
})
