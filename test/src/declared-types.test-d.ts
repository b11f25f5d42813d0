// What users rely on from per-procedure declarations, pinned at the type level.
import { type FaultlineClientError, type inferProcedureErrors, isFaultlineError, match, safe } from '@faultline/client'
import type { ImplicitCode } from '@faultline/contract'
import { useMutation, useQuery } from '@tanstack/react-query'
import type { TRPCClient } from '@trpc/client'
import type { TRPCOptionsProxy } from '@trpc/tanstack-react-query'
import { describe, expectTypeOf, test } from 'vitest'
import type { DeclaredRouter } from './fixtures/declared-app'

declare const client: TRPCClient<DeclaredRouter>
declare const trpc: TRPCOptionsProxy<DeclaredRouter>

type Always = ImplicitCode | 'TRANSPORT_ERROR'

describe('per-procedure error unions', () => {
  test('a procedure error union is its declared codes plus the implicit ones', async () => {
    const [, err] = await safe(client.users.byId.query({ id: 'u' }))
    expectTypeOf<NonNullable<typeof err>['code']>().toEqualTypeOf<'USER_NOT_FOUND' | Always>()
    if (isFaultlineError(err, 'USER_NOT_FOUND')) expectTypeOf(err.details).toEqualTypeOf<{ userId: string }>()
    // @ts-expect-error EMAIL_TAKEN is in the catalog but users.byId does not declare it
    isFaultlineError(err, 'EMAIL_TAKEN')
  })

  test('mutations, base procedures, concatenated pieces, merged routers and empty declarations', async () => {
    const [, created] = await safe(client.users.create.mutate({ email: 'a@b.c' }))
    expectTypeOf<NonNullable<typeof created>['code']>().toEqualTypeOf<'EMAIL_TAKEN' | Always>()
    const [, me] = await safe(client.users.me.query())
    expectTypeOf<NonNullable<typeof me>['code']>().toEqualTypeOf<
      'UNAUTHORIZED' | 'FORBIDDEN' | 'USER_NOT_FOUND' | Always
    >()
    const [, search] = await safe(client.users.search.query({ q: 'x' }))
    expectTypeOf<NonNullable<typeof search>['code']>().toEqualTypeOf<'RATE_LIMITED' | Always>()
    const [, teapot] = await safe(client.teapot.query())
    expectTypeOf<NonNullable<typeof teapot>['code']>().toEqualTypeOf<'TEAPOT' | Always>()
    const [, ping] = await safe(client.ping.query())
    expectTypeOf<NonNullable<typeof ping>['code']>().toEqualTypeOf<Always>()
  })

  test('a procedure without a declaration keeps the whole catalog', async () => {
    const [, err] = await safe(client.legacy.query())
    expectTypeOf<'EMAIL_TAKEN' | 'USER_NOT_FOUND' | 'TEAPOT'>().toExtend<NonNullable<typeof err>['code']>()
  })

  test('match is exhaustive per procedure: a missing case and an unknown case are type errors', async () => {
    const [, err] = await safe(client.users.me.query())
    if (!err) return
    const all = match(err, {
      UNAUTHORIZED: () => 'login' as const,
      FORBIDDEN: () => 'denied' as const,
      USER_NOT_FOUND: (e) => e.details.userId,
      BAD_REQUEST: () => 1,
      VALIDATION_FAILED: () => 1,
      NOT_FOUND: () => 1,
      METHOD_NOT_SUPPORTED: () => 1,
      PAYLOAD_TOO_LARGE: () => 1,
      TIMEOUT: () => 1,
      CLIENT_CLOSED: () => 1,
      INTERNAL: () => 1,
      UNAVAILABLE: () => 1,
      TRANSPORT_ERROR: () => 1,
    })
    expectTypeOf(all).toEqualTypeOf<'login' | 'denied' | string | number>()
    // @ts-expect-error FORBIDDEN (and the rest) missing, and no _
    match(err, { UNAUTHORIZED: () => 1, USER_NOT_FOUND: () => 1 })
    // @ts-expect-error EMAIL_TAKEN is not an error users.me can have
    match(err, { EMAIL_TAKEN: () => 1, _: () => 0 })
  })

  test('subscription errors narrow by the declaration too', () => {
    client.events.subscribe(
      { id: 'u' },
      {
        onError(err) {
          if (isFaultlineError(err, 'USER_NOT_FOUND')) expectTypeOf(err.details.userId).toEqualTypeOf<string>()
          // @ts-expect-error not declared by events
          isFaultlineError(err, 'TEAPOT')
        },
      },
    )
  })

  test('inferProcedureErrors names a procedure union by path; VALIDATION_FAILED only with input', () => {
    type ById = inferProcedureErrors<DeclaredRouter, 'users.byId'>
    expectTypeOf<ById['code']>().toEqualTypeOf<'USER_NOT_FOUND' | Always>()
    expectTypeOf<ById>().toExtend<FaultlineClientError>()
    type Me = inferProcedureErrors<DeclaredRouter, 'users.me'>
    expectTypeOf<Me['code']>().toEqualTypeOf<
      Exclude<'UNAUTHORIZED' | 'FORBIDDEN' | 'USER_NOT_FOUND' | Always, 'VALIDATION_FAILED'>
    >()
    type Ping = inferProcedureErrors<DeclaredRouter, 'ping'>
    expectTypeOf<'VALIDATION_FAILED'>().not.toExtend<Ping['code']>()
    // @ts-expect-error not a procedure path
    type _Nope = inferProcedureErrors<DeclaredRouter, 'users.nope'>
  })

  test('safe given the call knows the input: a procedure without input cannot fail validation', async () => {
    const [, me] = await safe(client.users.me.query)
    expectTypeOf<NonNullable<typeof me>['code']>().toEqualTypeOf<
      Exclude<'UNAUTHORIZED' | 'FORBIDDEN' | 'USER_NOT_FOUND' | Always, 'VALIDATION_FAILED'>
    >()
    const [user, byId] = await safe(client.users.byId.query, { id: 'u' })
    expectTypeOf(user).toEqualTypeOf<{ id: string; name: string } | undefined>()
    expectTypeOf<NonNullable<typeof byId>['code']>().toEqualTypeOf<'USER_NOT_FOUND' | Always>()
    const [, created] = await safe(client.users.create.mutate, { email: 'a@b.c' })
    expectTypeOf<'VALIDATION_FAILED'>().toExtend<NonNullable<typeof created>['code']>()
    // a call's match is exhaustive without VALIDATION_FAILED
    if (me) match(me, { UNAUTHORIZED: () => 1, FORBIDDEN: () => 2, USER_NOT_FOUND: () => 3, _: () => 0 })
    // @ts-expect-error the input is the procedure's
    await safe(client.users.byId.query, { id: 1 })
    // @ts-expect-error a procedure with input needs it
    await safe(client.users.byId.query)
    // @ts-expect-error a procedure without input takes none
    await safe(client.users.me.query, { id: 'u' })
  })

  test("React Query's error narrows to the procedure's union", () => {
    const query = useQuery(trpc.users.byId.queryOptions({ id: 'u' }))
    if (isFaultlineError(query.error, 'USER_NOT_FOUND')) {
      expectTypeOf(query.error.details.userId).toEqualTypeOf<string>()
    }
    // @ts-expect-error not declared by users.byId
    isFaultlineError(query.error, 'TEAPOT')
    const mutation = useMutation(trpc.users.create.mutationOptions())
    if (isFaultlineError(mutation.error, 'EMAIL_TAKEN')) {
      expectTypeOf(mutation.error.details.email).toEqualTypeOf<string>()
    }
  })
})
