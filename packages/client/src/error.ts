import {
  type AnyEnvelope,
  type ErrorEnvelope,
  type Issue,
  parseEnvelope,
  type RetryInfo,
  TRANSPORT_ERROR,
  type WireShape,
  type WireShapeData,
} from '@faultline/contract'
import { TRPCClientError } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { type ExtraData, keyForStatus, rehydrateShape, shapeOf } from './shape'
import { isTransportFailure, truncate } from './transport'

const BRAND = Symbol.for('faultline.clientError')

/**
 * Whether a value is a tRPC client error, even from another copy of
 * `@trpc/client` (package managers can install several), where `instanceof` fails.
 */
export function isTRPCClientErrorLike(value: unknown): value is TRPCClientError<AnyRouter> {
  if (value instanceof TRPCClientError) return true
  if (!(value instanceof Error)) return false
  return value.name === 'TRPCClientError' || (value as { [BRAND]?: unknown })[BRAND] === true
}

/** Whether a value is a `FaultlineClientError`, even from another copy of this package. */
export function isFaultlineClientError(value: unknown): value is FaultlineClientError {
  return value instanceof Error && (value as { [BRAND]?: unknown })[BRAND] === true
}

/** The envelope a client makes up for a response that carried none. */
export type TransportEnvelope = ErrorEnvelope<typeof TRANSPORT_ERROR, undefined>

/**
 * A typed error from a Faultline server, or the transport fallback when the
 * response was not a valid envelope. Subclasses `TRPCClientError`, so tRPC's
 * links, React Query and `isTRPCClientError` keep working; `data` and `shape`
 * keep their stock tRPC meaning, whatever the error's source.
 *
 * @typeParam TExtra - the fields the server's own formatter adds to the shape
 * (`{ data: { region: string } }`); none by default.
 */
export class FaultlineClientError<
  // `out`: both only type readonly members; a declared variance is one the checker need not measure
  out TEnvelope extends AnyEnvelope = AnyEnvelope,
  out TExtra = unknown,
> extends (Error as unknown as typeof TRPCClientError)<AnyRouter> {
  // Built as an Error, typed as a TRPCClientError and chained to it below the class: its constructor
  // defines each field with defineProperty and resets the prototype, dearer than setting them here.
  declare readonly cause: Error | undefined
  /** tRPC's error shape, the envelope in `data.error`, with every field the server's formatter added. */
  declare readonly shape: WireShape<TEnvelope> & TExtra
  /** The shape's `data`: tRPC's `code` and `httpStatus`, the envelope in `error`, and the formatter's fields. */
  declare readonly data: WireShapeData<TEnvelope> & ExtraData<TExtra>
  // The members below are declared, not initialised: the constructor sets each one, and a
  // class field would add a second definition of each to every client bundle.
  /** The catalog code. */
  declare readonly code: TEnvelope['code']
  /** The HTTP status the server gave this call; 0 when no response arrived. */
  declare readonly status: number
  /** The code's typed data (the envelope's `data`; `err.data` stays tRPC's shape data). */
  declare readonly details: TEnvelope['data']
  /** Field-level problems, for forms; empty unless the code carries issues. */
  declare readonly issues: Issue[]
  declare readonly requestId: string | undefined
  declare readonly retry: RetryInfo
  declare readonly help: string | undefined
  /** The whole envelope. */
  declare readonly envelope: TEnvelope
  /** For transport errors: the start of the raw response body, when it could be read. */
  declare readonly body: string | undefined
  /** Identifies Faultline client errors across package copies, where `instanceof` fails. */
  declare readonly [BRAND]: true

  constructor(
    envelope: TEnvelope,
    opts: {
      cause?: unknown
      meta?: Record<string, unknown> | undefined
      /** The shape the server sent; without one, tRPC's fields are read from the envelope. */
      shape?: WireShape | undefined
      body?: string | undefined
    } = {},
  ) {
    super(envelope.message)
    // TRPCClientError's fields, as its constructor sets them
    this.cause = opts.cause instanceof Error ? opts.cause : undefined
    this.shape = (opts.shape ?? shapeOf(envelope)) as this['shape']
    this.data = this.shape.data as this['data']
    this.meta = opts.meta
    this.name = 'FaultlineClientError'
    this[BRAND] = true
    this.envelope = envelope
    this.code = envelope.code
    this.status = envelope.status
    this.details = envelope.data
    this.issues = envelope.issues ?? []
    this.requestId = envelope.requestId
    this.retry = envelope.retry
    this.help = envelope.help
    this.body = opts.body
  }

  /**
   * Rehydrates any client-side failure: a tRPC error carrying a valid envelope
   * becomes its typed error; anything else (HTML from a proxy, truncated JSON,
   * wrong types, a network failure) becomes a `TRANSPORT_ERROR`. Never throws.
   */
  static override from(cause: unknown): FaultlineClientError {
    if (isFaultlineClientError(cause)) return cause
    if (!isTRPCClientErrorLike(cause)) return transport(cause)
    // whatever the server sent; reading `error` off a primitive `data` gives undefined
    const shape: { data?: { error?: unknown } | null } | null | undefined = cause.shape
    if (!shape || typeof shape !== 'object') return transport(cause)
    const parsed = parseEnvelope(shape.data?.error)
    if (!parsed.ok) return transport(cause, `Malformed error response: ${parsed.reason}`)
    // No stack of its own: capturing one would cost more than all the rest of the rehydration. V8
    // skips it at a limit of 0 (other engines ignore the limit); frozen intrinsics keep theirs.
    const settable = !Object.isFrozen(Error)
    const limit = Error.stackTraceLimit
    try {
      if (settable) Error.stackTraceLimit = 0
      return new FaultlineClientError(parsed.envelope, {
        cause: cause.cause,
        meta: cause.meta,
        // an envelope was found, so `data` is an object
        shape: rehydrateShape(shape as { data: object }, parsed.envelope),
      })
    } finally {
      if (settable) Error.stackTraceLimit = limit
    }
  }
}
// so that instanceof TRPCClientError holds, as for any subclass
Object.setPrototypeOf(FaultlineClientError.prototype, TRPCClientError.prototype)

function safeJson(value: unknown): string | undefined {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value)
  } catch {
    return undefined
  }
}

function transport(source: unknown, reason?: string): FaultlineClientError<TransportEnvelope> {
  const trpcError = isTRPCClientErrorLike(source) ? source : undefined
  const cause = trpcError ? trpcError.cause : source
  const failure = isTransportFailure(cause) ? cause : undefined
  // what tRPC kept of the response: its status, and its JSON when it parsed some
  const response = trpcError?.meta as { response?: unknown; responseJSON?: unknown } | undefined
  const status = failure?.status ?? (response?.response instanceof Response ? response.response.status : 0)
  const message =
    reason ??
    (failure ? failure.message : source instanceof Error ? source.message : 'The request failed with no response')
  // no response, or a gateway's error page: the same call may well succeed later; a call the
  // caller aborted is not retried
  const aborted = cause instanceof Error && cause.name === 'AbortError'
  const retryable = !aborted && (status === 0 || status === 502 || status === 503 || status === 504)
  const envelope: TransportEnvelope = { v: 1, code: TRANSPORT_ERROR, status, message, retry: { retryable } }
  const rawBody = failure?.body ?? safeJson(response?.responseJSON)
  return new FaultlineClientError(envelope, {
    cause: cause instanceof Error ? cause : source,
    meta: response,
    // whatever the server sent (a stock tRPC shape, say) did not check: tRPC's fields come from the status
    shape: shapeOf(envelope, keyForStatus(status, aborted)),
    body: rawBody && truncate(rawBody),
  })
}
