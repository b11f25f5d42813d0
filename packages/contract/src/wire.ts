import type { TRPCCodeKey } from './codes'
import type { AnyEnvelope } from './envelope'

/** The `data` of an error shape on the wire: tRPC's stock fields, and the envelope in `error`. */
export interface WireShapeData<TEnvelope = AnyEnvelope> {
  /** tRPC's code key, so stock clients still see a sensible code. */
  code: TRPCCodeKey
  /** The response's HTTP status; tRPC sets the status from it. */
  httpStatus: number
  /** The procedure's path, when the failure belongs to one. */
  path?: string
  /** The Faultline envelope. */
  error: TEnvelope
}

/**
 * The error shape a Faultline server sends and a client reads: tRPC's default
 * shape (`code`, `message`, `data`), with the envelope in `data.error`.
 */
export interface WireShape<TEnvelope = AnyEnvelope> {
  /** The JSON-RPC error number. */
  code: number
  message: string
  data: WireShapeData<TEnvelope>
}
