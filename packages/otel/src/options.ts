import type { MeterProvider, TextMapPropagator, TracerProvider } from '@opentelemetry/api'

/** Options of `withOpenTelemetry`: where spans and the counter go. Each defaults to the global one. */
export interface OpenTelemetryOptions {
  /** Makes the background tasks' spans. Default: the global tracer provider (`trace`). */
  tracerProvider?: TracerProvider
  /** Holds the `faultline.errors` counter. Default: the global meter provider (`metrics`), read at each failure. */
  meterProvider?: MeterProvider
  /**
   * Writes the request's context onto a task's job and reads it back where the task runs.
   * Default: the global propagator (`propagation`; NodeSDK registers W3C trace context).
   */
  propagator?: TextMapPropagator
  /**
   * Record on spans only what the client was sent: the envelope's message and no stack. By default
   * a span gets what Faultline's log line gets: a crash's real message and stack.
   */
  redact?: boolean
}

/** The instrumentation scope of the tracer and the meter. */
export const SCOPE_NAME = '@faultline/otel'
