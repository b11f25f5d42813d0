import { groupIssuesByField } from '@faultline/contract'
import type { TRPCProcedureOptions, TRPCPromise } from '@trpc/client'
import { FaultlineClientError, isFaultlineClientError, isTRPCClientErrorLike } from './error'
import type { inferErrorCode, inferFaultlineError, inferShapeErrors, narrowError } from './infer'

/**
 * Whether a value is a Faultline error, optionally of one code. Narrows the
 * error and its `details` by code; the code must be one the error can have.
 */
export function isFaultlineError<TErr, const TCode extends inferErrorCode<TErr>>(
  err: TErr,
  code: TCode,
): err is TErr & narrowError<TErr, TCode>
export function isFaultlineError<TErr>(err: TErr): err is TErr & inferFaultlineError<TErr>
export function isFaultlineError(err: unknown, code?: string): boolean {
  return isFaultlineClientError(err) && (code === undefined || err.code === code)
}

/** What `safe` resolves to: `[data, undefined]` or `[undefined, error]`, like tRPC's own `safe`. */
export type SafeResult<TData, TError> =
  | readonly [data: TData, error: undefined]
  | readonly [data: undefined, error: TError]

// biome-ignore lint/suspicious/noConfusingVoidType: tRPC types a procedure without input as void
type WithoutInputFailures<TInput, TErr> = [TInput] extends [void] ? Exclude<TErr, { code: 'VALIDATION_FAILED' }> : TErr

/** The input a call takes, as `safe(call, …input)` is given it: none, optional or required. */
// biome-ignore lint/suspicious/noConfusingVoidType: tRPC types a procedure without input as void
type CallInput<TInput> = [TInput] extends [void]
  ? []
  : undefined extends TInput
    ? [input?: NoInfer<TInput>]
    : [input: NoInfer<TInput>]

// The promise first: it is the common form, and an overload tried and failed first costs the type
// checker an inference at every call site (about 20 instantiations). A call
// (a function) fails this one at once, having no `then`.
/**
 * Awaits a client call without throwing: `[data, undefined]` on success,
 * `[undefined, error]` with a typed Faultline error on failure. The order is
 * tRPC's own `safe`, so switching imports never swaps the two. A rejection
 * that is not a tRPC client error (a bug in a link, say) is rethrown.
 */
export function safe<TData, TShape>(
  promise: TRPCPromise<TData, TShape>,
): Promise<SafeResult<TData, inferShapeErrors<TShape>>>
/**
 * `safe` given the call itself and its input (`safe(client.user.me.query)`,
 * `safe(client.user.byId.query, { id })`): it knows whether the procedure takes
 * input, and a procedure without any cannot fail with `VALIDATION_FAILED`.
 */
export function safe<TInput, TData, TShape>(
  call: (input: TInput, opts?: TRPCProcedureOptions) => TRPCPromise<TData, TShape>,
  ...input: CallInput<TInput>
): Promise<SafeResult<TData, WithoutInputFailures<TInput, inferShapeErrors<TShape>>>>
export function safe<TData>(promise: PromiseLike<TData>): Promise<SafeResult<TData, FaultlineClientError>>
export async function safe(
  pending: PromiseLike<unknown> | ((input?: unknown) => PromiseLike<unknown>),
  ...input: unknown[]
): Promise<SafeResult<unknown, FaultlineClientError>> {
  try {
    // tRPC's client proxy does not use `this`: a call taken off it works on its own
    return [await (typeof pending === 'function' ? pending(...input) : pending), undefined]
  } catch (cause) {
    if (isTRPCClientErrorLike(cause)) return [undefined, FaultlineClientError.from(cause)]
    throw cause
  }
}

type Handler<TErr, TCode> = (error: narrowError<TErr, TCode>) => unknown
type Fallback<TErr> = (error: inferFaultlineError<TErr>) => unknown

/**
 * Handlers for `match`: every code, or some codes plus `_` for the rest. When
 * the codes are not known statically (an untyped error), `_` is required.
 */
export type MatchHandlers<TErr> =
  string extends inferErrorCode<TErr>
    ? { [code: string]: Fallback<TErr> | undefined; _: Fallback<TErr> }
    :
        | ({ [K in inferErrorCode<TErr>]: Handler<TErr, K> } & { _?: Fallback<TErr> })
        | ({ [K in inferErrorCode<TErr>]?: Handler<TErr, K> } & { _: Fallback<TErr> })

// Keys that are neither a code the error can have nor `_`: typed `never` so they are rejected.
type NoUnknownCodes<TErr, THandlers> = { [K in Exclude<keyof THandlers, inferErrorCode<TErr> | '_'>]: never }

type ResultOf<THandlers> = {
  [K in keyof THandlers]: THandlers[K] extends (...args: never[]) => infer R ? R : never
}[keyof THandlers]

/**
 * Handles an error by code and returns what the chosen handler returns.
 * Without `_`, every code the error can have must be handled: a missing one is
 * a type error, and so is a code it cannot have. A tRPC client error is
 * rehydrated first; any other value is rethrown.
 *
 * @example
 * match(err, { USER_NOT_FOUND: (e) => e.details.userId, _: () => 'something went wrong' })
 */
export function match<TErr extends object, THandlers extends MatchHandlers<TErr>>(
  err: TErr,
  handlers: THandlers & NoUnknownCodes<TErr, THandlers>,
): ResultOf<THandlers> {
  if (!isTRPCClientErrorLike(err)) throw err
  const error = FaultlineClientError.from(err)
  const table = handlers as unknown as Record<string, ((e: FaultlineClientError) => ResultOf<THandlers>) | undefined>
  const handler = (Object.hasOwn(table, error.code) ? table[error.code] : undefined) ?? table._
  if (!handler) throw error
  return handler(error)
}

/**
 * Field errors for a form: `{ email: ['Invalid email'] }`, keyed by dotted
 * path (`''` for the input as a whole). Empty for anything without issues.
 * Takes a tRPC client error that was not rehydrated yet too.
 */
export function fieldErrors(err: unknown): Record<string, string[]> {
  if (!isTRPCClientErrorLike(err)) return Object.create(null)
  return groupIssuesByField(FaultlineClientError.from(err).issues)
}
