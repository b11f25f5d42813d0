import type { AnyCatalog } from '@faultline/contract'
import type { BackgroundOptions, FaultlineOptions, ReportEvent, TaskContextHooks } from '@faultline/server'
import type { AnyTaskDefinition } from '@faultline/server/runner'
import { errorCounter } from './error-counter'
import type { OpenTelemetryOptions } from './options'
import { activeTraceId, recordOnActiveSpan } from './span-recorder'
import { taskSpans } from './task-spans'

const RECORDED = Symbol('recorded')

/**
 * `createFaultline`'s options with OpenTelemetry added: each failure recorded on the active span
 * (an `exception` event, `error.type` = the catalog code, status ERROR for crashes only) and
 * counted on `faultline.errors`; `traceId` read from the active span; background tasks run in
 * spans linked to the request that queued them, across processes too. Your own `report`,
 * `traceId` and `taskContext` keep working: a `report` runs after the recording, the others win.
 *
 * @example
 * const fl = createFaultline(withOpenTelemetry({ errors, logger, report, background: { tasks } }))
 */
export function withOpenTelemetry<TCatalog extends AnyCatalog, const TTasks extends readonly AnyTaskDefinition[]>(
  options: FaultlineOptions<TCatalog> & { background: BackgroundOptions<TTasks> },
  otel?: OpenTelemetryOptions,
): FaultlineOptions<TCatalog> & { background: BackgroundOptions<TTasks> }
export function withOpenTelemetry<TCatalog extends AnyCatalog>(
  options: FaultlineOptions<TCatalog> & { background?: undefined },
  otel?: OpenTelemetryOptions,
): FaultlineOptions<TCatalog> & { background?: undefined }
export function withOpenTelemetry(
  options: FaultlineOptions<AnyCatalog>,
  otel: OpenTelemetryOptions = {},
): FaultlineOptions<AnyCatalog> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('withOpenTelemetry: pass the options of createFaultline, e.g. withOpenTelemetry({ errors })')
  }
  const redact = otel.redact === true
  const count = errorCounter(otel.meterProvider)
  const own = options.report
  const report = (event: ReportEvent) => {
    let failed: unknown = RECORDED
    try {
      recordOnActiveSpan(event, redact)
      count(event)
    } catch (cause) {
      failed = cause
    }
    // the app's own report runs whatever happened above; a throw here is counted as a report fault
    const pending = own?.(event)
    if (failed === RECORDED) return pending
    if (pending) return pending.then(() => Promise.reject(failed))
    throw failed
  }
  return {
    ...options,
    report,
    traceId: options.traceId ?? activeTraceId,
    taskContext: { ...taskSpans(otel), ...options.taskContext } satisfies TaskContextHooks,
  }
}
