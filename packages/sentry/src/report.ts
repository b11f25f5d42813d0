import type { AnyCatalog } from '@faultline/contract'
import type { ReportEvent } from '@faultline/server'
import { captureFailure, defaultFingerprint } from './capture'
import { type ReportHook, resolveOptions, type SentryReportOptions } from './options'

/**
 * A `report` hook for `createFaultline` that sends failures to Sentry: every crash as an unhandled
 * exception, expected failures only when `sendExpected` says so. A failed capture still calls
 * `next`, then throws, so Faultline logs it and counts it in `fl.faults().report`.
 */
export function sentryReport<TCatalog extends AnyCatalog = AnyCatalog>(
  options: SentryReportOptions<TCatalog> = {},
): ReportHook {
  const { sendExpected, fingerprint, next } = resolveOptions(options)
  return (event: ReportEvent) => {
    let failed = false
    let failure: unknown
    try {
      if (!event.handled || sendExpected(event)) {
        captureFailure(event, fingerprint ? fingerprint(event) : defaultFingerprint(event))
      }
    } catch (cause) {
      failed = true
      failure = cause
    }
    const pending = next?.(event)
    if (!failed) return pending
    if (pending) {
      return pending.then(() => {
        throw failure
      })
    }
    throw failure
  }
}
