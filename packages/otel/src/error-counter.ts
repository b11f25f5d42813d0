import type { ReportEvent } from '@faultline/server'
import { type Counter, type MeterProvider, metrics } from '@opentelemetry/api'
import { SCOPE_NAME } from './options'

/** The name of the counter of failures. */
export const ERROR_COUNTER = 'faultline.errors'

/**
 * Counts each failure on `faultline.errors` with its `code`, `status`, `handled` and `source`.
 * Without a provider of its own it reads the global one at each failure, so a metrics SDK
 * started after `createFaultline` is still the one counted on.
 */
export function errorCounter(meterProvider: MeterProvider | undefined): (event: ReportEvent) => void {
  let provider: MeterProvider | undefined
  let counter: Counter | undefined
  return (event) => {
    const current = meterProvider ?? metrics.getMeterProvider()
    if (current !== provider || !counter) {
      provider = current
      counter = current.getMeter(SCOPE_NAME).createCounter(ERROR_COUNTER, {
        description: 'Failures resolved by Faultline, by catalog code, status, handled and source',
        unit: '{error}',
      })
    }
    counter.add(1, { code: event.code, status: event.status, handled: event.handled, source: event.source })
  }
}
