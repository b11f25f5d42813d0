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
import { isPlainJson } from './plain-json'

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
