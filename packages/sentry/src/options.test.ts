import { defineErrors } from '@faultline/contract'
import { expect, test } from 'vitest'
import { sentryReport } from './report'

const errors = defineErrors({ ORDER_NOT_FOUND: { status: 404, message: 'Order not found' } })

test.each([
  [{ sendExpected: ['not_found'] }, 'sendExpected lists "not_found", which is not a code (UPPER_SNAKE_CASE)'],
  [{ sendExpected: [42] }, 'sendExpected lists 42, which is not a code (UPPER_SNAKE_CASE)'],
  [{ errors, sendExpected: ['ORDER_LOST'] }, 'sendExpected lists ORDER_LOST, which the catalog does not define'],
  [{ sendExpected: 'ORDER_NOT_FOUND' }, 'sendExpected must be a list of codes or a function of the event'],
  [{ errors: { ORDER_NOT_FOUND: {} } }, 'errors must be a catalog made by defineErrors'],
  [{ fingerprint: ['faultline'] }, 'fingerprint must be a function'],
  [{ next: 'console' }, 'next must be a report hook (a function)'],
  [null, 'options must be an object'],
])('options that cannot work are refused, naming what is wrong (%#)', (options, message) => {
  expect(() => sentryReport(options as never)).toThrow(new TypeError(`sentryReport: ${message}`))
})

test("built-in codes count as the catalog's own", () => {
  expect(() => sentryReport({ errors, sendExpected: ['NOT_FOUND', 'ORDER_NOT_FOUND'] })).not.toThrow()
})
