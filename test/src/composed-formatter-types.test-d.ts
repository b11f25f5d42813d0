// What an app's own formatter adds to Faultline's shape (`fl.formatter`) is typed on the
// rehydrated error, through every way a client reads an error; a router that adds
// nothing keeps the plain error types.
import {
  type FaultlineClientError,
  type inferFaultlineError,
  type inferProcedureErrors,
  isFaultlineError,
  match,
  safe,
} from '@faultline/client'
import type { inferEnvelope, TRPCCodeKey } from '@faultline/contract'
import type { TRPCClient, TRPCClientErrorLike } from '@trpc/client'
import { describe, expectTypeOf, test } from 'vitest'
import type { z } from 'zod'
import type { AppRouter } from './fixtures/app'
import type { errors } from './fixtures/catalog'
import type { ComposedRouter } from './fixtures/composed-app'

declare const client: TRPCClient<ComposedRouter>
type ZodFields = z.core.$ZodFlattenedError<unknown>
type UserShape = ComposedRouter['user']['_def']['$types']['errorShape']

describe("a composed formatter's fields", () => {
  test('safe: every server error carries them on data and shape; a transport error has them absent', async () => {
    const [, err] = await safe(client.user.query({ id: 'u' }))
    if (!err) return
    // on the union, before narrowing: present on server errors, undefined on TRANSPORT_ERROR
    expectTypeOf(err.data.region).toEqualTypeOf<string | undefined>()
    expectTypeOf(err.data.httpStatus).toEqualTypeOf<number>()
    expectTypeOf(err.data.code).toEqualTypeOf<TRPCCodeKey>()
    if (err.code === 'TRANSPORT_ERROR') {
      expectTypeOf(err.data.region).toEqualTypeOf<undefined>()
      return
    }
    expectTypeOf(err.data.region).toEqualTypeOf<string>()
    expectTypeOf(err.data.zodError).toEqualTypeOf<ZodFields | null>()
    expectTypeOf(err.shape.data.region).toEqualTypeOf<string>()
    expectTypeOf(err.shape.data.zodError).toEqualTypeOf<ZodFields | null>()
  })

  test('isFaultlineError narrowing by code keeps them beside the typed details', async () => {
    const [, err] = await safe(client.user.query({ id: 'u' }))
    if (isFaultlineError(err, 'USER_NOT_FOUND')) {
      expectTypeOf(err.details.userId).toEqualTypeOf<string>()
      expectTypeOf(err.data.region).toEqualTypeOf<string>()
      expectTypeOf(err.data.error.code).toEqualTypeOf<'USER_NOT_FOUND'>()
      expectTypeOf(err.shape.data.zodError).toEqualTypeOf<ZodFields | null>()
    }
    if (isFaultlineError(err, 'VALIDATION_FAILED')) expectTypeOf(err.data.zodError).toEqualTypeOf<ZodFields | null>()
  })

  test('a procedure that declares codes folds its shape with the router: its errors carry them too', async () => {
    const [, err] = await safe(client.signUp.mutate({ email: 'a@b.c' }))
    if (isFaultlineError(err, 'EMAIL_TAKEN')) {
      expectTypeOf(err.details.email).toEqualTypeOf<string>()
      expectTypeOf(err.data.region).toEqualTypeOf<string>()
    }
    // @ts-expect-error the declaration narrows the codes: USER_NOT_FOUND is not one of them
    isFaultlineError(err, 'USER_NOT_FOUND')
    type SignUpErrors = inferProcedureErrors<ComposedRouter, 'signUp'>
    expectTypeOf<Extract<SignUpErrors, { code: 'EMAIL_TAKEN' }>['data']['region']>().toEqualTypeOf<string>()
  })

  test("match hands each handler the error with them; React Query's error narrows the same way", () => {
    // React Query types a procedure's error so
    const err = {} as TRPCClientErrorLike<{ transformer: false; errorShape: UserShape }>
    const region = match(err, { USER_NOT_FOUND: (e) => e.data.region, _: (e) => e.data.region ?? 'none' })
    expectTypeOf(region).toEqualTypeOf<string>()
    if (isFaultlineError(err, 'USER_NOT_FOUND')) expectTypeOf(err.data.region).toEqualTypeOf<string>()
    type RouterError = inferFaultlineError<TRPCClientErrorLike<ComposedRouter>>
    expectTypeOf<Extract<RouterError, { code: 'TEAPOT' }>['shape']['data']['region']>().toEqualTypeOf<string>()
    expectTypeOf<Extract<RouterError, { code: 'TRANSPORT_ERROR' }>['data']['region']>().toEqualTypeOf<undefined>()
  })
})

describe('a router whose formatter adds nothing', () => {
  test('keeps the plain error types: nothing is added to data or shape', async () => {
    const plain = {} as TRPCClient<AppRouter>
    const [, err] = await safe(plain.user.byId.query({ id: 'u' }))
    type NotFound = Extract<NonNullable<typeof err>, { code: 'USER_NOT_FOUND' }>
    expectTypeOf<NotFound>().toEqualTypeOf<
      FaultlineClientError<Extract<inferEnvelope<typeof errors>, { code: 'USER_NOT_FOUND' }>>
    >()
    expectTypeOf<keyof NotFound['data']>().toEqualTypeOf<'code' | 'httpStatus' | 'path' | 'error'>()
  })
})
