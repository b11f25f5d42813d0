import type {
  AnyCatalog,
  AnyEnvelope,
  DeclaredBrand,
  ImplicitCode,
  inferCodes,
  inferEnvelope,
  TRPCCodeKey,
} from '@faultline/contract'
import type { TRPCErrorShape } from '@trpc/server'
import { type TRPC_ERROR_CODE_NUMBER, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import type { Failure } from './envelope'

/** The error shape Faultline sends: tRPC's default shape, with the envelope in `data.error`. */
export interface FaultlineShape<TEnvelope = AnyEnvelope> extends TRPCErrorShape {
  code: TRPC_ERROR_CODE_NUMBER
  message: string
  data: {
    /** tRPC's code key, so stock clients still see a sensible code. */
    code: TRPCCodeKey
    /** The response's HTTP status; tRPC sets the status from it. */
    httpStatus: number
    path?: string
    /** The Faultline envelope. */
    error: TEnvelope
  }
}

/** The `data` of a catalog's shape. */
export interface CatalogShapeData<TCatalog extends AnyCatalog, TCodes extends inferCodes<TCatalog>> {
  code: TRPCCodeKey
  httpStatus: number
  path?: string
  error: inferEnvelope<TCatalog, TCodes>
}

/**
 * The shape of a catalog's errors, limited to `TCodes`. Parameterised by the
 * catalog and its codes rather than by the envelope union, so that tRPC's
 * per-procedure type relations compare code unions instead of every envelope.
 */
export interface CatalogShape<TCatalog extends AnyCatalog, TCodes extends inferCodes<TCatalog> = inferCodes<TCatalog>>
  extends TRPCErrorShape {
  code: TRPC_ERROR_CODE_NUMBER
  message: string
  data: CatalogShapeData<TCatalog, TCodes>
}

/** The shape of a procedure that declared `TCodes`: clients narrow its errors to them. */
export type DeclaredShape<TCatalog extends AnyCatalog, TCodes extends inferCodes<TCatalog>> = CatalogShape<
  TCatalog,
  TCodes | ImplicitCode
> &
  DeclaredBrand<TCodes>

// JSON-RPC's "server error" in the implementation-defined range: no tRPC client treats it as a dropped connection.
const TERMINAL_SERVER_ERROR = -32000

/** The wire shape of a failure. */
export function toShape<TShape extends FaultlineShape<unknown>>(
  failure: Failure,
  path: string | undefined,
  type: string,
): TShape {
  const data: FaultlineShape['data'] = {
    code: failure.trpc,
    httpStatus: failure.envelope.status,
    error: failure.envelope,
  }
  if (path !== undefined) data.path = path
  let code: number = TRPC_ERROR_CODES_BY_KEY[failure.trpc]
  // tRPC's SSE client treats every -32603 error as a dropped connection: it never reaches onError,
  // only the connection state, and the stream then ends without reconnecting. A subscription error
  // must reach the subscriber, typed; its envelope's `retry` says whether to subscribe again.
  if (type === 'subscription' && code === TRPC_ERROR_CODES_BY_KEY.INTERNAL_SERVER_ERROR) code = TERMINAL_SERVER_ERROR
  // the declaration brand is type-only; the envelope's type is the catalog's, checked when it was built
  return { code, message: failure.envelope.message, data } as TShape
}
