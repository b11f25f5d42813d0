import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { defineErrors, type inferCodes, type inferErrorData } from './define'
import type { inferEnvelope } from './envelope'
import type { FaultlineError } from './error'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  TRIMMED: { status: 400, message: 'x', data: z.object({ n: z.string().transform((s) => s.length) }) },
})

describe('catalog types', () => {
  test('constructors take the schema input and carry the schema output', () => {
    expectTypeOf(errors.USER_NOT_FOUND({ userId: 'u' })).toEqualTypeOf<
      FaultlineError<'USER_NOT_FOUND', { userId: string }>
    >()
    expectTypeOf(errors.TRIMMED({ n: 'abc' }).data).toEqualTypeOf<{ n: number }>()
    // @ts-expect-error data is required
    errors.USER_NOT_FOUND()
    // @ts-expect-error wrong data type
    errors.USER_NOT_FOUND({ userId: 42 })
    // @ts-expect-error unknown code
    errors.NOPE
  })

  test('built-ins without data take only options', () => {
    expectTypeOf(errors.RATE_LIMITED).parameters.toEqualTypeOf<[options?: import('./error').FaultlineErrorOptions]>()
    expectTypeOf(errors.RATE_LIMITED().data).toEqualTypeOf<undefined>()
  })

  test('codes and envelopes derive from the catalog', () => {
    type Codes = inferCodes<typeof errors>
    expectTypeOf<'USER_NOT_FOUND'>().toExtend<Codes>()
    expectTypeOf<'INTERNAL'>().toExtend<Codes>()
    expectTypeOf<inferErrorData<typeof errors, 'USER_NOT_FOUND'>>().toEqualTypeOf<{ userId: string }>()
    type Env = inferEnvelope<typeof errors>
    const env = {} as Env
    if (env.code === 'USER_NOT_FOUND') expectTypeOf(env.data).toEqualTypeOf<{ userId: string }>()
    if (env.code === 'INTERNAL') expectTypeOf(env.data).toEqualTypeOf<undefined>()
  })

  test('an app that redefines a built-in code gets its own data and constructor for it', () => {
    const own = defineErrors({
      NOT_FOUND: { status: 404, message: 'Not found', data: z.object({ resource: z.string() }) },
    })
    expectTypeOf<inferErrorData<typeof own, 'NOT_FOUND'>>().toEqualTypeOf<{ resource: string }>()
    expectTypeOf<inferErrorData<typeof own, 'FORBIDDEN'>>().toEqualTypeOf<undefined>()
    expectTypeOf(own.NOT_FOUND({ resource: 'user' }).data).toEqualTypeOf<{ resource: string }>()
    // @ts-expect-error the redefinition takes data
    own.NOT_FOUND()
    expectTypeOf<'NOT_FOUND' | 'FORBIDDEN'>().toExtend<inferCodes<typeof own>>()
    expectTypeOf<keyof typeof own.definitions>().toEqualTypeOf<inferCodes<typeof own>>()
  })
})
