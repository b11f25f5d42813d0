import { createFaultlineMsw } from '@faultline/msw'
import { describe, expectTypeOf, test } from 'vitest'
import { buildApp } from './fixtures/app'
import { errors } from './fixtures/catalog'

const app = buildApp()
const kit = createFaultlineMsw({ router: app.router, faultline: app.fl, url: 'http://x/trpc' })

describe('typed mocks', () => {
  test("a mock's input and output are the procedure's", () => {
    kit.mock.user.byId.query(({ input }) => {
      expectTypeOf(input).toEqualTypeOf<{ id: string }>()
      return { id: input.id, name: 'Ada' }
    })
    // @ts-expect-error the output must be the procedure's
    kit.mock.user.byId.query(() => ({ id: 1 }))
    kit.mock.user.create.mutation(errors.EMAIL_TAKEN({ email: 'a@b.c' }))
    // @ts-expect-error a query is mocked with .query
    kit.mock.user.byId.mutation(() => ({ id: 'x', name: 'y' }))
    // @ts-expect-error no such procedure
    kit.mock.user.nope.query(() => 1)
  })
})
