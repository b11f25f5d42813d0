import type { AnyEnvelope } from '@faultline/contract'
import type { Classified } from './classify'
import { causeChain, describe } from './inspect'

/** A pino-compatible logger: each method takes a merge object and a message. */
export interface Logger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Where a failure happened: a query or mutation (or the request around it), a subscription, a background task. */
export type FailureSource = 'request' | 'subscription' | 'task'

/** What `report` receives, once per failure: enough for Sentry or an OpenTelemetry span. */
export interface ReportEvent {
  /** `false` for a crash (an unexpected error); `true` for an expected, mapped error. */
  handled: boolean
  code: string
  status: number
  requestId: string | undefined
  path: string | undefined
  source: FailureSource
  /** The value originally thrown. */
  error: unknown
  /** The envelope sent to the client (`debug` only in debug exposure). */
  envelope: AnyEnvelope
  /** For a background task: its id, name and the attempt that failed (1 for the first). */
  taskId?: string
  task?: string
  attempt?: number
}

/** Where a failure happened, for the log line and the report. */
export interface FailureOrigin {
  source: FailureSource
  path: string | undefined
  type: string
  /** Extra fields for the log line and report (e.g. task id and attempt). */
  extra?: Record<string, unknown>
}

/** Writes pino-style JSON lines to stderr: the default when no logger is given. */
export function createConsoleLogger(): Logger {
  const write = (level: string) => (obj: object, msg: string) => {
    const line = JSON.stringify({ level, time: Date.now(), ...obj, msg })
    if (typeof process !== 'undefined' && process.stderr) process.stderr.write(`${line}\n`)
    else console.error(line)
  }
  return { info: write('info'), warn: write('warn'), error: write('error') }
}

function levelOf(c: Classified, status: number): keyof Logger {
  if (!c.handled) return 'error'
  // a contract violation is a server-side mistake even when the code itself is a 4xx
  return status >= 500 || c.violation ? 'warn' : 'info'
}

/** The one log line of a failure: expected errors without stack, crashes with stack and cause chain. */
export function logLine(c: Classified, envelope: AnyEnvelope, origin: FailureOrigin): [keyof Logger, object, string] {
  const level = levelOf(c, envelope.status)
  // stacks are logged for crashes whose stacks can point at the app
  const withStacks = !c.handled && !c.stackless
  const original = describe(c.original, withStacks)
  // a validator's own message is a JSON dump of its issues; the summary says the same in one line
  const err: Record<string, unknown> = { type: original.name, message: c.issues ? c.message : original.message }
  const causes = causeChain(c.original, withStacks)
  if (c.handled) {
    if (causes.length) err.cause = causes.map(({ name, message }) => ({ type: name, message }))
  } else {
    if (original.stack) err.stack = original.stack
    if (causes.length) err.cause = causes.map(({ name, message, stack }) => ({ type: name, message, stack }))
  }
  const obj: Record<string, unknown> = {
    code: envelope.code,
    status: envelope.status,
    handled: c.handled,
    requestId: envelope.requestId,
    path: origin.path,
    type: origin.type,
    source: origin.source,
    ...origin.extra,
    // not `err`: pino's default serializer expects an Error there and rewrites plain objects
    error: err,
  }
  if (envelope.traceId) obj.traceId = envelope.traceId
  if (c.reason) obj.reason = c.reason
  if (c.bugIssues) obj.issues = c.bugIssues
  if (c.violation) {
    obj.contractViolation = true
    obj.reason = c.violation
  }
  const where = origin.path ? ` on ${origin.path}` : ''
  const what = c.violation
    ? ` (contract violation: ${c.violation})`
    : c.handled
      ? ''
      : `: ${c.reason ?? `${original.name}: ${original.message}`}`
  return [level, obj, `${envelope.code} (${envelope.status})${where}${what}`]
}

/** Logs and reports a failure exactly once; neither a throwing logger nor a failing hook escapes. */
export function emit(
  logger: Logger | undefined,
  report: ((event: ReportEvent) => void | Promise<void>) | undefined,
  c: Classified,
  envelope: AnyEnvelope,
  origin: FailureOrigin,
): void {
  if (logger) {
    try {
      const [level, obj, msg] = logLine(c, envelope, origin)
      logger[level](obj, msg)
    } catch {
      // a broken logger must not break the response; there is nowhere left to say so
    }
  }
  if (!report) return
  const event: ReportEvent = {
    handled: c.handled,
    code: envelope.code,
    status: envelope.status,
    requestId: envelope.requestId,
    path: origin.path,
    source: origin.source,
    error: c.original,
    envelope,
    ...origin.extra,
  }
  const hookFailed = (cause: unknown) => {
    try {
      logger?.error(
        { error: describe(cause, true), requestId: envelope.requestId },
        'faultline: the report hook failed',
      )
    } catch {
      // as above
    }
  }
  try {
    const pending = report(event)
    if (pending && typeof pending.then === 'function') pending.then(undefined, hookFailed)
  } catch (cause) {
    hookFailed(cause)
  }
}
