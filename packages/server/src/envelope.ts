import {
  type AnyCatalog,
  type AnyEnvelope,
  ENVELOPE_VERSION,
  getDefinition,
  type TRPCCodeKey,
  trpcKeyForStatus,
} from '@faultline/contract'
import type { Classified } from './classify'
import { causeChain, describe } from './inspect'

/** A failure ready to send: its envelope, the tRPC key for stock clients and the response headers it needs. */
export interface Failure {
  envelope: AnyEnvelope
  trpc: TRPCCodeKey
  headers: Record<string, string>
  classified: Classified
}

export interface EnvelopeContext {
  catalog: AnyCatalog
  validationStatus: number
  expose: 'safe' | 'debug'
  /** Checks that error data can be sent; a throw is a fault of the transformer. */
  serialize: (value: unknown) => unknown
  /** Checks that a request's input can be echoed under debug exposure; a throw only leaves it out. */
  serializeInput: (value: unknown) => unknown
  requestId: string | undefined
  requestIdHeader: string
  traceId: string | undefined
  input: unknown
}

// past this many objects and arrays, data gets the full check instead
const MAX_PLAIN_OBJECTS = 256
// keys superjson throws on (a prototype pollution guard)
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Whether a value is plain JSON that every transformer carries as it is:
 * strings, finite numbers other than -0, booleans, null, and arrays and plain
 * objects, each met once (no cycle, no object in two places), with no key
 * superjson refuses. Most error data is: it then skips the trial
 * serialization, and an envelope of it can skip superjson's walk (`toShape`).
 * Anything else (a Date, a Map, `undefined`, a getter that throws, a cycle)
 * answers false and gets the full treatment.
 */
export function isPlainJson(value: unknown, seen: object[] = []): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  // superjson marks NaN, the infinities and -0, which JSON would turn into null and 0
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object' || seen.length >= MAX_PLAIN_OBJECTS || seen.includes(value)) return false
  seen.push(value)
  try {
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) return false
      for (const item of value) if (!isPlainJson(item, seen)) return false
      return true
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
    for (const key in value) {
      if (!Object.hasOwn(value, key) || UNSAFE_KEYS.has(key)) return false
      if (!isPlainJson((value as Record<string, unknown>)[key], seen)) return false
    }
    return Object.getOwnPropertySymbols(value).length === 0
  } catch {
    return false
  }
}

function serializes(
  serialize: (value: unknown) => unknown,
  value: unknown,
): { ok: true } | { ok: false; reason: string } {
  if (isPlainJson(value)) return { ok: true }
  try {
    serialize(value)
    return { ok: true }
  } catch (cause) {
    return { ok: false, reason: describe(cause).message }
  }
}

// Headers that describe the message itself or the connection: an error must not change how the
// response is framed or what it contains, nor the request id.
const RESERVED_HEADERS = new Set([
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'host',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * The headers an error may add to its response: valid names and values (as a
 * fetch `Headers` normalises them), none of the reserved ones. Anything else
 * (CRLF, non-Latin-1, framing) is dropped: one bad header must not sink the response.
 */
export function errorHeaders(headers: Readonly<Record<string, string>> | undefined, requestIdHeader: string) {
  const out: Record<string, string> = {}
  if (!headers) return out
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (RESERVED_HEADERS.has(lower) || lower === requestIdHeader) continue
    try {
      const normalised = new Headers([[name, value]]).get(name)
      if (normalised !== null && !/[\r\n]/.test(normalised)) out[lower] = normalised
    } catch {
      // invalid name or value: left out
    }
  }
  return out
}

/** Builds the envelope of a classified failure, degrading to INTERNAL when its data cannot be sent. */
export function buildFailure(c: Classified, ctx: EnvelopeContext): Failure {
  const def = getDefinition(ctx.catalog, c.code) ?? getDefinition(ctx.catalog, 'INTERNAL')
  if (!def) throw new Error('faultline: the catalog has no INTERNAL code; build it with defineErrors')
  const status = def.code === 'VALIDATION_FAILED' ? ctx.validationStatus : def.status

  const envelope: AnyEnvelope = {
    v: ENVELOPE_VERSION,
    code: def.code,
    status,
    message: c.message,
    retry: { retryable: def.retryable },
  }
  if (c.retryAfterMs !== undefined) envelope.retry.afterMs = c.retryAfterMs
  if (c.data !== undefined) {
    const ok = serializes(ctx.serialize, c.data)
    if (!ok.ok) {
      const internal: Classified = {
        code: 'INTERNAL',
        message: getDefinition(ctx.catalog, 'INTERNAL')?.message ?? 'Internal server error',
        handled: false,
        original: c.original,
        reason: `the data of ${c.code} cannot be serialized: ${ok.reason}`,
      }
      return buildFailure(internal, ctx)
    }
    envelope.data = c.data
  }
  if (c.issues) envelope.issues = c.issues
  if (ctx.requestId !== undefined) envelope.requestId = ctx.requestId
  if (ctx.traceId !== undefined) envelope.traceId = ctx.traceId
  if (def.help !== undefined) envelope.help = def.help
  if (ctx.expose === 'debug') {
    const original = describe(c.original, true)
    const causes = causeChain(c.original, true)
    envelope.debug = {}
    if (original.message !== envelope.message) envelope.debug.message = original.message
    if (original.stack) envelope.debug.stack = original.stack
    if (causes.length) envelope.debug.cause = causes
    if (ctx.input !== undefined && serializes(ctx.serializeInput, ctx.input).ok) envelope.debug.input = ctx.input
  }

  const headers = errorHeaders(c.headers, ctx.requestIdHeader)
  if (c.retryAfterMs !== undefined && headers['retry-after'] === undefined) {
    headers['retry-after'] = String(Math.ceil(c.retryAfterMs / 1000))
  }
  const trpc = status === def.status ? def.trpc : trpcKeyForStatus(status)
  return { envelope, trpc, headers, classified: c }
}
