import type { AnyEnvelope } from '@faultline/contract'
import type { FaultlineClientError, TransportEnvelope } from './error'

type Distribute<TEnvelope> = TEnvelope extends AnyEnvelope ? FaultlineClientError<TEnvelope> : never

/** The envelope union an error shape carries in `data.error`. */
export type inferShapeEnvelope<TShape> = TShape extends { data: { error: infer E } }
  ? E extends AnyEnvelope
    ? E
    : AnyEnvelope
  : AnyEnvelope

/** The typed Faultline errors for an error shape, transport failures included. */
export type inferShapeErrors<TShape> = Distribute<inferShapeEnvelope<TShape> | TransportEnvelope>

/**
 * The typed Faultline error a value can be: a `FaultlineClientError` stays as it
 * is; a tRPC client error typed by a router (React Query's `error`) yields the
 * router's envelopes; anything else, any envelope.
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

/** The error narrowed to one code. */
export type narrowError<TErr, TCode> = unknown extends TErr
  ? FaultlineClientError<AnyEnvelope & { code: TCode }>
  : Extract<inferFaultlineError<TErr>, { code: TCode }>
