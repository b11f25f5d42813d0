import type {
  AnyCatalog,
  AnyEnvelope,
  codesOf,
  DeclaredBrand,
  envelopeOf,
  ImplicitCode,
  inferDefinitions,
  isRegistered,
  RegisteredCatalog,
  TRPCCodeKey,
  WireShape,
  WireShapeData,
} from '@faultline/contract'
import type { TRPCErrorShape } from '@trpc/server'
import { type TRPC_ERROR_CODE_NUMBER, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import type { Failure } from '../engine/failure'
import { isPlainJson } from '../engine/plain-json'

/** An error shape as tRPC carries it: the contract's wire shape, with tRPC's JSON-RPC number. */
export interface TRPCWireShape<TEnvelope = AnyEnvelope> extends WireShape<TEnvelope>, TRPCErrorShape {
  code: TRPC_ERROR_CODE_NUMBER
  data: WireShapeData<TEnvelope>
}

/**
 * The `data` of a catalog's shape: the contract's `WireShapeData`, field for field, but generic in
 * the definitions and the codes rather than in the envelope union, which every walk of the shape
 * through tRPC's generics would otherwise compute.
 */
export interface DefinitionsShapeData<TDefs, TCodes extends string> {
  code: TRPCCodeKey
  httpStatus: number
  path?: string
  error: envelopeOf<TDefs, TCodes>
}

/**
 * The shape of a catalog's errors, limited to `TCodes`, by the catalog's
 * definitions. tRPC carries a procedure's error shape through every step of
 * its builder and of the client's types, and the type checker walks it each
 * time. Parameterised by the definitions object and a union of code strings,
 * rather than by the catalog or the envelope union, a walk costs one
 * instantiation for the shape and one for the definitions (the codes none).
 */
export interface DefinitionsShape<TDefs, TCodes extends string = codesOf<TDefs>> extends TRPCErrorShape {
  code: TRPC_ERROR_CODE_NUMBER
  message: string
  data: DefinitionsShapeData<TDefs, TCodes>
}

/** The shape of a procedure that declared `TCodes`, by the catalog's definitions: clients narrow its errors to them. */
export interface DeclaredDefinitionsShape<TDefs, TCodes extends string>
  extends DefinitionsShape<TDefs, TCodes | ImplicitCode>,
    DeclaredBrand<TCodes> {}

type RegisteredDefinitions = inferDefinitions<RegisteredCatalog>

/**
 * The router-wide shape of the catalog registered in `Register`: its
 * `DefinitionsShape`, as an interface generic in nothing, which costs the type
 * checker nothing to carry through tRPC's generics.
 */
export interface RegisteredShape extends DefinitionsShape<RegisteredDefinitions> {}

/** A declaration's shape in the registered catalog: its `DeclaredDefinitionsShape`, generic only in the declared codes. */
export interface RegisteredDeclaredShape<TCodes extends string>
  extends DeclaredDefinitionsShape<RegisteredDefinitions, TCodes> {}

/**
 * The error shape `fl.errorFormatter` returns for a catalog, as clients read it. For the catalog
 * registered in `Register` it is the registered variant, which tRPC's generics carry at no cost.
 */
export type FaultlineShape<TCatalog extends AnyCatalog = RegisteredCatalog> =
  isRegistered<TCatalog> extends true ? RegisteredShape : DefinitionsShape<inferDefinitions<TCatalog>>

// JSON-RPC's "server error" in the implementation-defined range: no tRPC client treats it as a dropped connection.
const TERMINAL_SERVER_ERROR = -32000

/**
 * A shape holding only plain JSON, given to a transformer that passes objects of classes it does not
 * know on to JSON as they are (superjson does). superjson walks every plain object and array it is
 * given, looking for values it must mark (a Date, a Map, `undefined`): for a shape of plain JSON it
 * finds none, and the walk was most of what an error response cost it. JSON writes this object's
 * fields, in the same order, exactly as it writes the plain object it stands for: the bytes sent do
 * not change.
 */
class PlainJsonShape {
  code: number
  message: string
  data: TRPCWireShape['data']
  constructor(code: number, message: string, data: TRPCWireShape['data']) {
    this.code = code
    this.message = message
    this.data = data
  }
}

/**
 * Whether `transformer` hands an object of a class it does not know on to JSON unchanged and
 * unmarked, so a `PlainJsonShape` skips its walk: asked once, of the transformer given to
 * `createFaultline`. A transformer that copies, marks or refuses such an object gets plain shapes.
 */
export function passesPlainShapes(transformer: { serialize(value: unknown): unknown } | undefined): boolean {
  if (!transformer) return false
  const probe = new PlainJsonShape(-32603, 'probe', {
    code: 'INTERNAL_SERVER_ERROR',
    httpStatus: 500,
    error: {} as AnyEnvelope,
  })
  try {
    const out = transformer.serialize(probe)
    if (out === probe) return true
    return (
      typeof out === 'object' &&
      out !== null &&
      Object.keys(out).length === 1 &&
      (out as { json?: unknown }).json === probe
    )
  } catch {
    return false
  }
}

/** Where a shape is built: the call's path and type, and the procedure's verdict on its code. */
export interface ShapeSite {
  path: string | undefined
  type: string
  /** Stamped on the envelope as `declared` when the procedure's declarations judged the code. */
  declared: boolean | undefined
  /** Whether a shape of plain JSON may skip the transformer's walk (see `PlainJsonShape`). */
  plainShapes: boolean
}

/** The wire shape of a failure. */
export function toShape<TShape extends TRPCWireShape<unknown>>(failure: Failure, site: ShapeSite): TShape {
  const envelope = site.declared === undefined ? failure.envelope : { ...failure.envelope, declared: site.declared }
  const data: TRPCWireShape['data'] = { code: failure.trpc, httpStatus: envelope.status, error: envelope }
  if (site.path !== undefined) data.path = site.path
  let code: number = TRPC_ERROR_CODES_BY_KEY[failure.trpc]
  // tRPC's SSE client treats every -32603 error as a dropped connection: it never reaches onError,
  // only the connection state, and the stream then ends without reconnecting. A subscription error
  // must reach the subscriber, typed; its envelope's `retry` says whether to subscribe again.
  if (site.type === 'subscription' && code === TRPC_ERROR_CODES_BY_KEY.INTERNAL_SERVER_ERROR) {
    code = TERMINAL_SERVER_ERROR
  }
  // the declaration brand is type-only; the envelope's type is the catalog's, checked when it was built
  if (site.plainShapes && isPlainJson(envelope)) {
    return new PlainJsonShape(code, envelope.message, data) as unknown as TShape
  }
  return { code, message: envelope.message, data } as TShape
}
