import type { ReportEvent } from '@faultline/server'
import type { Attributes } from '@opentelemetry/api'

/** Reads a property of anything without letting a throwing getter or Proxy trap escape. */
function read(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined
  try {
    return (value as Record<string, unknown>)[key]
  } catch {
    return undefined
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/**
 * The `exception` event's attributes for a failure (OpenTelemetry's exception semantic
 * conventions). A crash gets what the log line gets: its type, its real message and its stack.
 * An expected failure gets its type and message, no stack; a validation failure its one-line
 * summary, not the validator's dump. `redact` keeps to what the client was sent.
 */
export function exceptionAttributes(event: ReportEvent, redact: boolean): Attributes {
  const { error, envelope } = event
  const thrown = typeof error === 'object' && error !== null
  const type = thrown ? (text(read(error, 'name')) ?? 'Error') : typeof error
  let message = envelope.message
  if (!redact && !envelope.issues) {
    message = thrown ? (text(read(error, 'message')) ?? envelope.message) : String(error)
  }
  const attributes: Attributes = {
    'exception.type': type,
    'exception.message': message,
    'faultline.code': event.code,
    'faultline.handled': event.handled,
  }
  const stack = !event.handled && !redact ? text(read(error, 'stack')) : undefined
  if (stack) attributes['exception.stacktrace'] = stack
  if (event.requestId !== undefined) attributes['faultline.request_id'] = event.requestId
  if (event.path !== undefined) attributes['faultline.path'] = event.path
  return attributes
}
