import type { BuiltinCode } from './codes'
import type { AnyCatalog, dataOf, inferCodes, inferDefinitions } from './define'
import type { Issue } from './issues'

/** The wire format's version; bumped only for a breaking change of the envelope. */
export const ENVELOPE_VERSION = 1

/** When and whether a client may try again. */
export interface RetryInfo {
  retryable: boolean
  /** How long to wait first, in milliseconds. */
  afterMs?: number
}

/** One link of an error's cause chain, as `debug` exposure shows it. */
export interface DebugCause {
  name: string
  message: string
  stack?: string
}

/** Server internals, present only with `expose: 'debug'`; never in production by default. */
export interface DebugInfo {
  /** The original error's own message, when it differs from the one sent. */
  message?: string
  stack?: string
  cause?: DebugCause[]
  /** The raw input the call received. */
  input?: unknown
}

interface EnvelopeBase<TCode extends string> {
  /** Envelope version. */
  v: typeof ENVELOPE_VERSION
  /** The catalog code: the stable contract to match on. */
  code: TCode
  /** The HTTP status of the response that carried it (batches: each call's own). */
  status: number
  /** Safe to show to a user. */
  message: string
  /** Field-level problems; present on `VALIDATION_FAILED`. */
  issues?: Issue[]
  /** Whether the procedure declared this code. */
  declared?: boolean
  /** Correlates the response with server logs. */
  requestId?: string
  /** The OpenTelemetry trace the failure happened in, when one was active. */
  traceId?: string
  retry: RetryInfo
  /** A URL that explains the error. */
  help?: string
  debug?: DebugInfo
}

/** An envelope of a code that carries data. */
export interface DataEnvelope<TCode extends string, TData> extends EnvelopeBase<TCode> {
  data: TData
}

/** An envelope of a code without data. */
export interface PlainEnvelope<TCode extends string> extends EnvelopeBase<TCode> {
  data?: undefined
}

/** An envelope whose data is not known statically. */
export interface UnknownEnvelope<TCode extends string> extends EnvelopeBase<TCode> {
  data?: unknown
}

/**
 * The Faultline envelope (wire format version 1), carried in tRPC's
 * `shape.data.error`. Each variant is an interface, not an intersection:
 * unions of many of them stay cheap for the type checker.
 */
export type ErrorEnvelope<TCode extends string = string, TData = unknown> = unknown extends TData
  ? UnknownEnvelope<TCode>
  : [TData] extends [undefined]
    ? PlainEnvelope<TCode>
    : DataEnvelope<TCode, TData>

/** Any envelope, whatever its code. */
export type AnyEnvelope = UnknownEnvelope<string>

/** The envelopes a catalog can produce: a union discriminated by `code`. */
export type inferEnvelope<
  TCatalog extends AnyCatalog,
  TCodes extends inferCodes<TCatalog> = inferCodes<TCatalog>,
> = envelopeOf<inferDefinitions<TCatalog>, TCodes>

/** The envelopes of `TCodes`, by a catalog's definitions (`inferDefinitions`). */
export type envelopeOf<TDefs, TCodes extends string> = { [K in TCodes]: ErrorEnvelope<K, dataOf<TDefs, K>> }[TCodes]

/** The envelope of a built-in code. */
export type BuiltinEnvelope = { [K in BuiltinCode]: ErrorEnvelope<K, undefined> }[BuiltinCode]

/**
 * Marks an error shape as a procedure's declaration of the codes it may throw.
 * A type-only key: it is never on the wire. Clients read it to narrow a
 * procedure's errors to its declared codes.
 */
export interface DeclaredBrand<TCodes extends string> {
  readonly '~declared': TCodes
}
