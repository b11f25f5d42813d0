import type { ReportEvent } from '@faultline/server'
import { captureException, type SeverityLevel } from '@sentry/node'

// Sentry drops a tag whose value is longer than this
const MAX_TAG_LENGTH = 200

/**
 * The default grouping: an expected failure by its code alone (`['faultline', code]`); a crash by
 * Sentry's own stack-trace grouping and its code, since every crash is INTERNAL and one issue for
 * all of them would hide each bug behind the first.
 */
export function defaultFingerprint(event: ReportEvent): string[] {
  return event.handled ? ['faultline', event.code] : ['{{ default }}', 'faultline', event.code]
}

/** The log line's level, in Sentry's words: crashes are errors, expected 5xx warnings, the rest info. */
function levelOf(event: ReportEvent): SeverityLevel {
  if (!event.handled) return 'error'
  return event.status >= 500 ? 'warning' : 'info'
}

function tagsOf(event: ReportEvent): Record<string, string> {
  const tags: Record<string, string> = { code: event.code, status: String(event.status), source: event.source }
  const optional = { requestId: event.requestId, path: event.path, taskId: event.taskId, task: event.task }
  for (const [key, value] of Object.entries(optional)) {
    if (typeof value === 'string' && value !== '') tags[key] = value.slice(0, MAX_TAG_LENGTH)
  }
  return tags
}

/** What the client was told, and where the failure happened; never the data or debug members. */
function contextOf(event: ReportEvent): Record<string, unknown> {
  const { envelope } = event
  const context: Record<string, unknown> = {
    code: event.code,
    status: event.status,
    handled: event.handled,
    source: event.source,
    message: envelope.message,
    retryable: envelope.retry.retryable,
  }
  if (envelope.declared !== undefined) context.declared = envelope.declared
  if (envelope.traceId !== undefined) context.traceId = envelope.traceId
  if (event.attempt !== undefined) context.attempt = event.attempt
  return context
}

/** Sends one failure to Sentry: the thrown value itself as the exception, marked handled or not. */
export function captureFailure(event: ReportEvent, fingerprint: string[]): string {
  return captureException(event.error, {
    mechanism: { type: `auto.faultline.${event.source}`, handled: event.handled },
    captureContext: {
      level: levelOf(event),
      tags: tagsOf(event),
      fingerprint,
      contexts: { faultline: contextOf(event) },
    },
  })
}
