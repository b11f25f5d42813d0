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
> extends TRPCClientError<AnyRouter> {
  /** tRPC's error shape, the envelope in `data.error`, with every field the server's formatter added. */
  declare readonly shape: WireShape<TEnvelope> & TExtra
  /** The shape's `data`: tRPC's `code` and `httpStatus`, the envelope in `error`, and the formatter's fields. */
  declare readonly data: WireShapeData<TEnvelope> & ExtraData<TExtra>
  /** The catalog code. */
  readonly code: TEnvelope['code']
  /** The HTTP status the server gave this call; 0 when no response arrived. */
  readonly status: number
  /** The code's typed data (the envelope's `data`; `err.data` stays tRPC's shape data). */
  readonly details: TEnvelope['data']
  /** Field-level problems, for forms; empty unless the code carries issues. */
  readonly issues: Issue[]
  readonly requestId: string | undefined
  readonly retry: RetryInfo
  readonly help: string | undefined
  /** The whole envelope. */
  readonly envelope: TEnvelope
  /** For transport errors: the start of the raw response body, when it could be read. */
  readonly body: string | undefined
  /** Identifies Faultline client errors across package copies, where `instanceof` fails. */
  readonly [BRAND] = true

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
    super(envelope.message, {
      ...(opts.cause instanceof Error ? { cause: opts.cause } : {}),
      ...(opts.meta ? { meta: opts.meta } : {}),
      result: { error: opts.shape ?? shapeOf(envelope) },
    })
    // TRPCClientError resets the prototype to its own; restore the subclass
    Object.setPrototypeOf(this, new.target.prototype)
    this.name = 'FaultlineClientError'
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
    const err = isTRPCClientErrorLike(cause) ? cause : undefined
    const shape = err?.shape as { data?: { error?: unknown } } | undefined
    if (shape && typeof shape === 'object') {
      const parsed = parseEnvelope(typeof shape.data === 'object' && shape.data ? shape.data.error : undefined)
      if (!parsed.ok) return transport(err, `Malformed error response: ${parsed.reason}`)
      return new FaultlineClientError(parsed.envelope, {
        cause: err?.cause,
        meta: err?.meta,
        // an envelope was found, so `data` is an object
        shape: rehydrateShape(shape as { data: object }, parsed.envelope),
      })
    }
    return transport(err ?? cause, undefined)
  }
}

// what tRPC kept of the response: its status, and its JSON when it parsed some
function responseOf(err: unknown): { status?: number | undefined; json?: unknown } {
  const meta = isTRPCClientErrorLike(err)
    ? (err.meta as { response?: unknown; responseJSON?: unknown } | undefined)
    : undefined
  return { status: meta?.response instanceof Response ? meta.response.status : undefined, json: meta?.responseJSON }
}

function safeJson(value: unknown): string | undefined {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value)
  } catch {
    return undefined
  }
}

function transport(source: unknown, reason: string | undefined): FaultlineClientError<TransportEnvelope> {
  const cause = isTRPCClientErrorLike(source) ? source.cause : source
  const failure = isTransportFailure(cause) ? cause : undefined
  const response = responseOf(source)
  const status = failure?.status ?? response.status ?? 0
  const message =
    reason ??
    (failure ? failure.message : source instanceof Error ? source.message : 'The request failed with no response')
  // no response, or a gateway's error page: the same call may well succeed later; a call the
  // caller aborted is not retried
  const aborted = cause instanceof Error && cause.name === 'AbortError'
  const retryable = !aborted && (status === 0 || status === 502 || status === 503 || status === 504)
  const envelope: TransportEnvelope = { v: 1, code: TRANSPORT_ERROR, status, message, retry: { retryable } }
  const rawBody = failure?.body ?? (response.json !== undefined ? safeJson(response.json) : undefined)
  return new FaultlineClientError(envelope, {
    cause: cause instanceof Error ? cause : source,
    meta: isTRPCClientErrorLike(source) ? source.meta : undefined,
    // whatever the server sent (a stock tRPC shape, say) did not check: tRPC's fields come from the status
    shape: shapeOf(envelope, keyForStatus(status, aborted)),
    body: rawBody === undefined ? undefined : truncate(rawBody),
  })
}
