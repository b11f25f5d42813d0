import { defineErrors } from '@faultline/contract'
import { createFaultline, type ReportEvent } from '@faultline/server'
import { expectTypeOf, test } from 'vitest'
import { sentryReport } from './report'

const errors = defineErrors({ ORDER_NOT_FOUND: { status: 404, message: 'Order not found' } })

test("with the catalog, sendExpected takes only the catalog's codes, built-ins included", () => {
  sentryReport({ errors, sendExpected: ['ORDER_NOT_FOUND', 'NOT_FOUND'] })
  // @ts-expect-error not a code of the catalog
  sentryReport({ errors, sendExpected: ['ORDER_LOST'] })
})

test('without it, any code; a predicate gets the report event', () => {
  sentryReport({ sendExpected: ['ANYTHING'] })
  sentryReport({
    sendExpected: (event) => {
      expectTypeOf(event).toEqualTypeOf<ReportEvent>()
      return event.status === 404
    },
  })
})

test('the hook is what createFaultline takes as report', () => {
  createFaultline({ errors, report: sentryReport({ errors }) })
  expectTypeOf(sentryReport()).toExtend<NonNullable<Parameters<typeof createFaultline>[0]['report']>>()
})
