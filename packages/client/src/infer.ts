import type { AnyEnvelope, DeclaredBrand, WireShape, WireShapeData } from '@faultline/contract'
import type { AnyProcedure, AnyRouter } from '@trpc/server'
import type { FaultlineClientError, TransportEnvelope } from './error'

type Distribute<TEnvelope, TExtra> = TEnvelope extends AnyEnvelope ? FaultlineClientError<TEnvelope, TExtra> : never

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

// what one shape adds to the wire shape, at its top and in its `data`; unknown when nothing
type ExtraOf<TShape> = TShape extends { data: infer D }
  ? [keyof TShape, keyof D] extends [keyof WireShape, keyof WireShapeData]
    ? unknown
    : {
        [K in keyof TShape as K extends 'code' | 'message' ? never : K]: K extends 'data'
          ? { [J in keyof D as J extends keyof WireShapeData ? never : J]: D[J] }
          : TShape[K]
      }
  : unknown

// the extras of the members the router's own formatter gives (a declaration's type carries none)
type RootExtra<TShape> = TShape extends DeclaredBrand<string> ? never : ExtraOf<TShape>

// what an error shape adds to the wire shape: the fields the router's own formatter (`fl.formatter`)
// puts beside Faultline's, such as `{ data: { region: string } }`; unknown when it adds nothing
type ShapeExtra<TShape> = RootExtra<TShape> extends infer X ? ([X] extends [never] ? unknown : X) : never

// a transport error carries none of the server's fields: each is typed as absent
type Absent<TExtra> = unknown extends TExtra
  ? unknown
  : { [K in keyof TExtra]: K extends 'data' ? { [J in keyof TExtra[K]]?: undefined } : undefined }

type ErrorsOf<TEnvelope, TExtra> =
  | Distribute<TEnvelope, TExtra>
  | FaultlineClientError<TransportEnvelope, Absent<TExtra>>

/** The typed Faultline errors for an error shape, transport failures included. */
export type inferShapeErrors<TShape> = ErrorsOf<inferShapeEnvelope<TShape>, ShapeExtra<TShape>>

/**
 * The typed Faultline error a value can be: a `FaultlineClientError` stays as it
 * is; a tRPC client error typed by a router or procedure (React Query's
 * `error`) yields its envelopes; anything else, any envelope.
 */
export type inferFaultlineError<TErr> = unknown extends TErr ? FaultlineClientError : inferKnown<NonNullable<TErr>>

type inferKnown<TErr> = TErr extends FaultlineClientError
  ? TErr
  : TErr extends { shape: infer S }
    ? inferShapeErrors<NonNullable<S>>
    : FaultlineClientError

/** The codes an error can have. */
export type inferErrorCode<TErr> = inferFaultlineError<TErr>['code']

// one error whose envelope is a union (`FaultlineClientError<A | B>`), split to the envelope of `TCode`
type Split<TErr, TCode> =
  TErr extends FaultlineClientError<infer E, infer X>
    ? E extends { code: TCode }
      ? FaultlineClientError<E, X>
      : never
    : never

// `Extract` finds the member of `TCode`; only an error whose envelope is a union needs splitting
type Narrow<TErr, TCode> =
  Extract<TErr, { code: TCode }> extends infer N ? ([N] extends [never] ? Split<TErr, TCode> : N) : never

/** The error narrowed to one code; for an error whose codes are not known statically, any envelope of that code. */
export type narrowError<TErr, TCode> =
  string extends inferErrorCode<TErr>
    ? FaultlineClientError<AnyEnvelope & { code: TCode }>
    : Narrow<inferFaultlineError<TErr>, TCode>

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
