import { acceptRequestId } from '../request-id'
import type { Classified } from './classify'
import type { Failure } from './failure'
import { safeGet } from './inspect'

/** Where `fl.createContext` puts a request's scope on the context; tRPC's context merges copy it along. */
export const SCOPE = Symbol.for('faultline.scope')

/** One thrown value in a request: classified when first seen, resolved (enveloped, logged, reported) once. */
export interface ScopedFailure {
  classified: Classified
  /** The codes declared by every procedure declaration that saw it; `undefined` when none did. */
  declaredBy: Set<string> | undefined
  /** Set by the first hook that needs the envelope. */
  failure: Failure | undefined
}

/**
 * A request as the engine knows it: its id, and each thrown value's failure. Every tRPC hook
 * (declarations, `errorFormatter`, `onError`, `responseMeta`) asks the scope, so a failure is
 * worked out once whichever hook runs first.
 */
export class RequestScope {
  /**
   * Keyed by the thrown value (see `failureKey`); made at the first failure, as most requests have
   * none. Weak: over WebSocket a scope lasts as long as its connection, and must not keep its calls' errors.
   */
  failures: WeakMap<object, ScopedFailure> | undefined = undefined
  /** The request's background tasks: made by the task staging when a call commits the first one. */
  tasks: object | undefined = undefined
  /** Whether `responseMeta` has run: a fetch adapter produces its Response right after. */
  responseProduced = false
  /** Told once the response is produced (the request's tasks wait for it). */
  onResponseProduced: (() => void) | undefined = undefined

  constructor(
    readonly requestId: string,
    /** What the adapter gave the context factory (its request and response), when a factory made this scope. */
    readonly adapterOpts: object | undefined = undefined,
    /** The context factory's `waitUntil`, which keeps a serverless invocation alive for the request's tasks. */
    readonly waitUntil: ((promise: Promise<void>) => void) | undefined = undefined,
  ) {}

  /** `responseMeta` ran: the Response is made next. */
  produced(): void {
    this.responseProduced = true
    this.onResponseProduced?.()
  }
}

/** The request id a context carries (`fl.createContext` puts it there), if it is a safe one. */
export function requestIdOfContext(ctx: unknown): string | undefined {
  const id = safeGet(ctx, 'requestId')
  return typeof id === 'string' ? acceptRequestId(id) : undefined
}

/** Whether a value is a scope, even one made by another copy of this package. */
function isScope(value: unknown): value is RequestScope {
  if (value instanceof RequestScope) return true
  const failures = safeGet(value, 'failures')
  return typeof safeGet(value, 'requestId') === 'string' && (failures === undefined || failures instanceof WeakMap)
}

/** The scope `fl.createContext` put on a context, if any. */
export function scopeOfContext(ctx: unknown): RequestScope | undefined {
  const scope = safeGet(ctx, SCOPE)
  return isScope(scope) ? scope : undefined
}

// Scopes of failures without a scope on their context (a context factory that threw, a request
// tRPC refused before any context was made, an app not using `fl.createContext`), found again by
// the error object every hook receives. One error object may be thrown by several requests (a
// shared constant): its scope answers only for the request id it was made for, and the latest
// request's scope replaces it, so nothing grows with the number of requests.
const scopesByError = new WeakMap<object, RequestScope>()

/** Gives a failure without a context its request's scope (a context factory threw it). */
export function adoptScope(error: unknown, scope: RequestScope): void {
  if (typeof error === 'object' && error !== null) scopesByError.set(error, scope)
}

/**
 * The scope a failure belongs to: its context's, else the one kept for its error and its
 * context's request id, else a new one with that id (or `fallbackId()`), kept for the hooks that follow.
 */
export function scopeFor(error: unknown, ctx: unknown, fallbackId: () => string): RequestScope {
  const own = scopeOfContext(ctx)
  if (own) return own
  const requestId = requestIdOfContext(ctx)
  if (typeof error !== 'object' || error === null) return new RequestScope(requestId ?? fallbackId())
  const kept = scopesByError.get(error)
  if (kept && (requestId === undefined || kept.requestId === requestId)) return kept
  const made = new RequestScope(requestId ?? fallbackId())
  scopesByError.set(error, made)
  return made
}
