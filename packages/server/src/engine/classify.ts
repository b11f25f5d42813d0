import { type AnyCatalog, FaultlineError, getDefinition, type Issue, type TRPCCodeKey } from '@faultline/contract'
import { type HandlerInfo, type HandlerTable, runHandlers } from './handlers'
import { describe, safeGet } from './inspect'
import { issuesOf, summarizeIssues } from './validation'

/** A thrown value, decided: which catalog code it is and what may be said about it. */
export interface Classified {
  code: string
  /** The message clients see. */
  message: string
  data?: unknown
  issues?: Issue[]
  headers?: Readonly<Record<string, string>>
  retryAfterMs?: number
  /** `false` for crashes and server bugs. */
  handled: boolean
  /** What was thrown, for the log and `debug`. */
  original: unknown
  /** Why an error became INTERNAL, for the log. */
  reason?: string
  /** Schema issues behind a server bug (output validation, bad error data), for the log only. */
  bugIssues?: Issue[]
  /**
   * Logged without stacks: they hold no frame of the app's (output validation fails inside tRPC,
   * after the procedure returned); the path and the issues say where and what.
   */
  stackless?: true
  /** Why this error breaks the procedure's declaration, when it does. */
  violation?: string
  /** When an error handler threw or returned something other than a catalog error: what it threw or returned. */
  handlerFault?: { cause: unknown }
}

/** The parts of the server's configuration that classification needs. */
export interface ClassifyConfig {
  catalog: AnyCatalog
  handlers: HandlerTable
  validationStatus: number
  mapValidation: ((issues: Issue[], info: HandlerInfo) => FaultlineError) | undefined
  /** Whether a deliberate 4xx `TRPCError` sends its own message (`keep`) or the catalog's (`redact`). */
  trpcMessages: 'keep' | 'redact'
}

// tRPC keys that have a built-in code of their own; other keys fall back by status class.
const BUILTIN_BY_TRPC_KEY: Partial<Record<TRPCCodeKey, string>> = {
  PARSE_ERROR: 'BAD_REQUEST',
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_SUPPORTED',
  TIMEOUT: 'TIMEOUT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  CLIENT_CLOSED_REQUEST: 'CLIENT_CLOSED',
  SERVICE_UNAVAILABLE: 'UNAVAILABLE',
}
const SERVER_SIDE_KEYS = new Set(['INTERNAL_SERVER_ERROR', 'NOT_IMPLEMENTED', 'BAD_GATEWAY', 'GATEWAY_TIMEOUT'])
const OUTPUT_VALIDATION_MESSAGE = 'Output validation failed'

/** Whether a value is a tRPC error, even from another copy of `@trpc/server`. */
export function isTRPCError(value: unknown): value is Error & { code: string; cause?: unknown } {
  try {
    return (
      value instanceof Error && safeGet(value, 'name') === 'TRPCError' && typeof safeGet(value, 'code') === 'string'
    )
  } catch {
    // instanceof runs a Proxy's getPrototypeOf trap, which may throw: such a value is no TRPCError
    return false
  }
}

/** An INTERNAL classification: the generic message, marked as a crash. */
export function internal(cfg: ClassifyConfig, original: unknown, reason?: string, bugIssues?: Issue[]): Classified {
  const out: Classified = { code: 'INTERNAL', message: defaultMessage(cfg, 'INTERNAL'), handled: false, original }
  if (reason !== undefined) out.reason = reason
  if (bugIssues) out.bugIssues = bugIssues
  return out
}

function defaultMessage(cfg: ClassifyConfig, code: string): string {
  return getDefinition(cfg.catalog, code)?.message ?? 'Internal server error'
}

type SchemaResult = { ok: true; value: unknown } | { ok: false; reason: string; issues?: Issue[] }

function checkData(cfg: ClassifyConfig, code: string, value: unknown): SchemaResult {
  const def = getDefinition(cfg.catalog, code)
  if (!def) return { ok: false, reason: `${code} is not a code of this server's catalog` }
  if (!def.data) return { ok: true, value: undefined }
  let result: ReturnType<NonNullable<typeof def.data>['~standard']['validate']>
  try {
    result = def.data['~standard'].validate(value)
  } catch (cause) {
    return { ok: false, reason: `the data schema of ${code} threw: ${describe(cause).message}` }
  }
  if (result instanceof Promise) {
    result.catch(() => {})
    return {
      ok: false,
      reason: `the data schema of ${code} is async; error data schemas must validate synchronously`,
    }
  }
  if (result.issues) {
    const issues = issuesOf(result) ?? []
    return { ok: false, reason: `errors.${code} data failed its schema: ${summarizeIssues(issues)}`, issues }
  }
  return { ok: true, value: result.value }
}

/** An error's own headers as a plain record; unreadable ones (a Proxy, a throwing getter) are left out. */
function readHeaders(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  try {
    return Object.fromEntries(Object.entries(value))
  } catch {
    return undefined
  }
}

function fromCatalogError(cfg: ClassifyConfig, error: FaultlineError, original: unknown): Classified {
  // the brand says catalog error, but a copy from elsewhere may be hostile: each field is read once, safely
  const code = safeGet(error, 'code')
  if (typeof code !== 'string') return internal(cfg, original, 'a catalog error whose code is not a string')
  const data = checkData(cfg, code, safeGet(error, 'data'))
  if (!data.ok) return internal(cfg, original, data.reason, data.issues)
  const message = safeGet(error, 'message')
  const out: Classified = {
    code,
    message: typeof message === 'string' && message ? message : defaultMessage(cfg, code),
    handled: true,
    original,
  }
  if (data.value !== undefined) out.data = data.value
  const headers = readHeaders(safeGet(error, 'headers'))
  if (headers) out.headers = headers
  const retryAfterMs = safeGet(error, 'retryAfterMs')
  // beyond the safe integers a delay means nothing, and Retry-After would be written as 1e+21, not in seconds
  if (typeof retryAfterMs === 'number' && retryAfterMs >= 0 && retryAfterMs <= Number.MAX_SAFE_INTEGER) {
    out.retryAfterMs = retryAfterMs
  }
  return out
}

function fromMapped(cfg: ClassifyConfig, mapped: unknown, original: unknown, source: string): Classified {
  if (FaultlineError.is(mapped)) return fromCatalogError(cfg, mapped, original)
  const out = internal(cfg, original, `${source} returned ${describe(mapped).name} instead of a catalog error`)
  out.handlerFault = { cause: mapped }
  return out
}

function validationFailure(cfg: ClassifyConfig, issues: Issue[], original: unknown, info: HandlerInfo): Classified {
  if (!cfg.mapValidation) {
    return { code: 'VALIDATION_FAILED', message: summarizeIssues(issues), issues, handled: true, original }
  }
  let mapped: Classified
  try {
    mapped = fromMapped(cfg, cfg.mapValidation(issues, info), original, 'validation.map')
  } catch (cause) {
    const out = internal(cfg, cause, 'validation.map threw')
    out.handlerFault = { cause }
    return out
  }
  // an override changes the code or the message; the field issues still reach the form
  if (mapped.handled && !mapped.issues) mapped.issues = issues
  return mapped
}

/**
 * The message an app gave a 4xx `TRPCError` it threw in a procedure. tRPC's own errors say the
 * catalog's: those raised before any procedure ran (`type` unknown), those with no message (tRPC
 * then uses the code) and those whose message is their cause's (it may say anything).
 */
function ownMessage(cfg: ClassifyConfig, trpc: Error & { code: string }, info: HandlerInfo): string | undefined {
  if (cfg.trpcMessages === 'redact' || info.type === 'unknown') return undefined
  const message = safeGet(trpc, 'message')
  if (typeof message !== 'string' || message === '' || message === trpc.code) return undefined
  return message === safeGet(safeGet(trpc, 'cause'), 'message') ? undefined : message
}

function fromTRPCCode(cfg: ClassifyConfig, trpc: Error & { code: string }, info: HandlerInfo): Classified {
  const key = trpc.code
  if (SERVER_SIDE_KEYS.has(key)) return internal(cfg, trpc)
  // an app whose catalog names the tRPC code (e.g. CONFLICT) gets its own definition, unless that
  // code requires data a raw TRPCError cannot carry
  const own = getDefinition(cfg.catalog, key)
  const code = BUILTIN_BY_TRPC_KEY[key as TRPCCodeKey] ?? (own && !own.data ? key : 'BAD_REQUEST')
  // a 5xx code (UNAVAILABLE) is the server's own trouble: its message stays redacted
  const status = getDefinition(cfg.catalog, code)?.status ?? 500
  const message = (status < 500 ? ownMessage(cfg, trpc, info) : undefined) ?? defaultMessage(cfg, code)
  return { code, message, handled: true, original: trpc }
}

/**
 * Decides which catalog code a thrown value is. Total: any value, however
 * hostile, yields exactly one code, and this function does not throw.
 */
export function classify(cfg: ClassifyConfig, thrown: unknown, info: HandlerInfo): Classified {
  const trpc = isTRPCError(thrown) ? thrown : undefined
  const cause = trpc ? safeGet(trpc, 'cause') : thrown
  if (FaultlineError.is(cause)) return fromCatalogError(cfg, cause, cause)

  if (trpc && cause !== undefined) {
    const issues = issuesOf(cause)
    if (issues && trpc.code === 'BAD_REQUEST') return validationFailure(cfg, issues, cause, info)
    if (issues && trpc.code === 'INTERNAL_SERVER_ERROR' && trpc.message === OUTPUT_VALIDATION_MESSAGE) {
      const out = internal(
        cfg,
        trpc,
        'output validation failed: the procedure returned data its .output() schema rejects',
        issues,
      )
      out.stackless = true
      return out
    }
  }

  // tRPC wraps anything it did not recognise as INTERNAL_SERVER_ERROR with the value as cause:
  // that value, not the wrapper, is what handlers, the log and `debug` see. A TRPCError with any
  // other code is tRPC's own protocol error or a deliberate one: its code stands.
  const unknown = !trpc || (trpc.code === 'INTERNAL_SERVER_ERROR' && cause !== undefined)
  if (trpc && !unknown) return fromTRPCCode(cfg, trpc, info)

  const subject = trpc ? cause : thrown
  const outcome = runHandlers(cfg.handlers, subject, info)
  if (outcome.kind === 'mapped') return fromMapped(cfg, outcome.error, subject, 'a handler')
  if (outcome.kind === 'failed') {
    const out = internal(cfg, subject, `${outcome.reason}: ${describe(outcome.cause).message}`)
    out.handlerFault = { cause: outcome.cause }
    return out
  }
  return internal(cfg, subject)
}
