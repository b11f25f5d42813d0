import type { AnyEnvelope, DeclaredBrand } from '@faultline/contract'
import type { AnyProcedure, AnyRouter } from '@trpc/server'
import type { FaultlineClientError, TransportEnvelope } from './error'

type Distribute<TEnvelope> = TEnvelope extends AnyEnvelope ? FaultlineClientError<TEnvelope> : never

// the envelopes every member of a (possibly folded) error shape carries
type EnvelopesOf<TShape> = TShape extends { data: { error: infer E } } ? (E extends AnyEnvelope ? E : never) : never
// the members of a (possibly folded) error shape that are declarations (`fl.declare(…)`)
type DeclaredMembers<TShape> = TShape extends DeclaredBrand<string> ? TShape : never

/**
 * The envelope union an error shape carries in `data.error`. A procedure that
 * declared codes narrows to them plus the codes every procedure may send. Its
 * declarations carry exactly those envelopes, so they are read alone: the
 * router-wide member's union of every code of the catalog is never computed.
 */
export type inferShapeEnvelope<TShape> = 0 extends 1 & TShape
  ? AnyEnvelope // an `any` shape (`AnyRouter`)
  : [DeclaredMembers<TShape>] extends [never]
    ? [EnvelopesOf<TShape>] extends [never]
      ? AnyEnvelope
      : EnvelopesOf<TShape>
    : EnvelopesOf<DeclaredMembers<TShape>>

/** The typed Faultline errors for an error shape, transport failures included. */
export type inferShapeErrors<TShape> = Distribute<inferShapeEnvelope<TShape> | TransportEnvelope>

/**
 * The typed Faultline error a value can be: a `FaultlineClientError` stays as it
 * is; a tRPC client error typed by a router or procedure (React Query's
 * `error`) yields its envelopes; anything else, any envelope.
 */
export type inferFaultlineError<TErr> = unknown extends TErr ? FaultlineClientError : inferKnown<NonNullable<TErr>>

type inferKnown<TErr> =
  TErr extends FaultlineClientError<infer E>
    ? Distribute<E>
    : TErr extends { shape: infer S }
      ? inferShapeErrors<NonNullable<S>>
      : FaultlineClientError

/** The codes an error can have. */
export type inferErrorCode<TErr> = inferFaultlineError<TErr>['code']

/** The error narrowed to one code; for an error whose codes are not known statically, any envelope of that code. */
export type narrowError<TErr, TCode> =
  string extends inferErrorCode<TErr>
    ? FaultlineClientError<AnyEnvelope & { code: TCode }>
    : Extract<inferFaultlineError<TErr>, { code: TCode }>

type RecordOf<TRouter extends AnyRouter> = TRouter['_def']['record']

/** Every procedure path of a router, dotted (`'user.byId'`). */
export type inferProcedurePath<TRecord, TPrefix extends string = ''> = {
  [K in keyof TRecord & string]: TRecord[K] extends AnyProcedure
    ? `${TPrefix}${K}`
    : inferProcedurePath<TRecord[K], `${TPrefix}${K}.`>
}[keyof TRecord & string]

type ProcedureAt<TRecord, TPath extends string> = TPath extends `${infer H}.${infer R}`
  ? H extends keyof TRecord
    ? ProcedureAt<TRecord[H], R>
    : never
  : TPath extends keyof TRecord
    ? TRecord[TPath]
    : never

type ShapeOf<
  TRouter extends AnyRouter,
  TProcedure extends AnyProcedure,
> = unknown extends TProcedure['_def']['$types']['errorShape']
  ? TRouter['_def']['_config']['$types']['errorShape']
  : TProcedure['_def']['$types']['errorShape']

/**
 * The errors of one procedure, by path: its declared codes, the codes every
 * procedure may send (VALIDATION_FAILED only when it takes input) and
 * TRANSPORT_ERROR.
 *
 * @example
 * type UserErrors = inferProcedureErrors<AppRouter, 'user.byId'>
 */
export type inferProcedureErrors<TRouter extends AnyRouter, TPath extends inferProcedurePath<RecordOf<TRouter>>> =
  ProcedureAt<RecordOf<TRouter>, TPath> extends infer P extends AnyProcedure
    ? // biome-ignore lint/suspicious/noConfusingVoidType: tRPC types a procedure without input as void
      [P['_def']['$types']['input']] extends [void]
      ? Exclude<inferShapeErrors<ShapeOf<TRouter, P>>, { code: 'VALIDATION_FAILED' }>
      : inferShapeErrors<ShapeOf<TRouter, P>>
    : never
