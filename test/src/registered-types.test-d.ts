// The example app registers its catalog (apps/api/src/errors.ts); the fixtures' catalog is not
// registered. A registered catalog must type everything exactly as an unregistered one does: the
// registered shapes differ only in what they cost the type checker, which bench/src/budgets.test.ts
// measures (the 300-procedure router with a registered catalog, against the 1.10 goal).
import type { inferProcedureErrors, inferShapeErrors } from '@faultline/client'
import type { inferDefinitions, isRegistered, RegisteredCatalog } from '@faultline/contract'
import { errors as appErrors } from '@faultline/example-api/errors'
import type { AppRouter } from '@faultline/example-api/router'
import { createFaultline, type FaultlineShape } from '@faultline/server'
import { describe, expectTypeOf, test } from 'vitest'
// the shape interfaces are internal: this test pins that the public types resolve to them
import type {
  DeclaredDefinitionsShape,
  DefinitionsShape,
  RegisteredDeclaredShape,
  RegisteredShape,
} from '../../packages/server/src/trpc/shape'
import { errors as fixtureErrors } from './fixtures/catalog'

type AppDefs = inferDefinitions<typeof appErrors>
type ShapeAt<TProcedure extends { _def: { $types: { errorShape: unknown } } }> =
  TProcedure['_def']['$types']['errorShape']

describe('a registered catalog', () => {
  test('Register names the app catalog, and only that catalog counts as registered', () => {
    expectTypeOf<RegisteredCatalog>().toEqualTypeOf<typeof appErrors>()
    expectTypeOf<isRegistered<typeof appErrors>>().toEqualTypeOf<true>()
    expectTypeOf<isRegistered<typeof fixtureErrors>>().toEqualTypeOf<false>()
  })

  test('createFaultline and fl.declare type the shapes of each catalog, registered or not', () => {
    const registered = createFaultline({ errors: appErrors, logger: false })
    expectTypeOf(registered.errorFormatter).returns.toEqualTypeOf<RegisteredShape>()
    expectTypeOf(registered.declare('ORDER_NOT_FOUND')).returns.toEqualTypeOf<
      RegisteredDeclaredShape<'ORDER_NOT_FOUND'> | undefined
    >()

    const other = createFaultline({ errors: fixtureErrors, logger: false })
    expectTypeOf(other.errorFormatter).returns.toEqualTypeOf<DefinitionsShape<inferDefinitions<typeof fixtureErrors>>>()
    expectTypeOf(other.declare('USER_NOT_FOUND')).returns.toEqualTypeOf<
      DeclaredDefinitionsShape<inferDefinitions<typeof fixtureErrors>, 'USER_NOT_FOUND'> | undefined
    >()
  })

  test('FaultlineShape chooses the registered variant by itself', () => {
    expectTypeOf<FaultlineShape>().toEqualTypeOf<RegisteredShape>()
    expectTypeOf<FaultlineShape<typeof appErrors>>().toEqualTypeOf<RegisteredShape>()
    expectTypeOf<FaultlineShape<typeof fixtureErrors>>().toEqualTypeOf<
      DefinitionsShape<inferDefinitions<typeof fixtureErrors>>
    >()
  })

  test('the registered shapes are the generic shapes of its definitions', () => {
    expectTypeOf<RegisteredShape>().toEqualTypeOf<DefinitionsShape<AppDefs>>()
    expectTypeOf<RegisteredDeclaredShape<'OUT_OF_STOCK'>>().toEqualTypeOf<
      DeclaredDefinitionsShape<AppDefs, 'OUT_OF_STOCK'>
    >()
  })

  test("clients read the same errors from the app's router as from the unregistered shapes", () => {
    expectTypeOf<ShapeAt<AppRouter['order']['byId']>>().toEqualTypeOf<
      RegisteredShape | RegisteredDeclaredShape<'ORDER_NOT_FOUND'>
    >()
    expectTypeOf<inferProcedureErrors<AppRouter, 'order.byId'>>().toEqualTypeOf<
      inferShapeErrors<DefinitionsShape<AppDefs> | DeclaredDefinitionsShape<AppDefs, 'ORDER_NOT_FOUND'>>
    >()
    type ByIdCodes = inferProcedureErrors<AppRouter, 'order.byId'>['code']
    expectTypeOf<'ORDER_NOT_FOUND' | 'VALIDATION_FAILED' | 'TRANSPORT_ERROR'>().toExtend<ByIdCodes>()
    expectTypeOf<'OUT_OF_STOCK'>().not.toExtend<ByIdCodes>()
    expectTypeOf<
      Extract<inferProcedureErrors<AppRouter, 'order.create'>, { code: 'OUT_OF_STOCK' }>['details']
    >().toEqualTypeOf<{ sku: string; available: number }>()
  })
})
