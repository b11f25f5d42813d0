import type { ReportEvent } from '@faultline/server'
import { SpanStatusCode, trace } from '@opentelemetry/api'
import { exceptionAttributes } from './exception'

/**
 * Records a failure on the active span: an `exception` event and `error.type` set to the catalog
 * code. Only a crash (`handled: false`) sets the span's status to ERROR: expected failures (a
 * declared 404, a validation failure) do not mark the trace red.
 */
export function recordOnActiveSpan(event: ReportEvent, redact: boolean): void {
  const span = trace.getActiveSpan()
  if (!span?.isRecording()) return
  const attributes = exceptionAttributes(event, redact)
  span.addEvent('exception', attributes)
  span.setAttribute('error.type', event.code)
  if (!event.handled) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(attributes['exception.message']) })
  }
}

/** The trace id of the active span, for envelopes and log lines; `undefined` outside any span. */
export function activeTraceId(): string | undefined {
  const context = trace.getActiveSpan()?.spanContext()
  return context && trace.isSpanContextValid(context) ? context.traceId : undefined
}
