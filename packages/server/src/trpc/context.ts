import { getTRPCErrorFromUnknown } from '@trpc/server'
import type { Config } from '../config'
import { adoptScope, RequestScope, SCOPE } from '../engine/scope'
import { acceptRequestId, newRequestId, readHeader } from '../request-id'

type ContextFn<TOpts, TCtx> = (opts: TOpts) => TCtx | Promise<TCtx>

/** Options of `fl.createContext`. */
export interface CreateContextOptions {
  /** Keeps a serverless invocation alive until its background tasks finish (e.g. `executionCtx.waitUntil`). */
  waitUntil?: (promise: Promise<void>) => void
}

/**
 * Wraps a context factory: each request gets its scope (its request id, and its failures) on the
 * context, and `requestId` beside it, even when the factory throws.
 */
export function wrapContext<TOpts extends object, TCtx extends object>(
  config: Config,
  inner: ContextFn<TOpts, TCtx> | undefined,
  contextOpts: CreateContextOptions,
): (opts: TOpts) => Promise<TCtx & { requestId: string }> {
  return async (opts) => {
    const requestId = acceptRequestId(readRequestHeader(opts, config.requestIdHeader)) ?? newRequestId()
    const scope = new RequestScope(requestId, opts, contextOpts.waitUntil)
    let ctx: TCtx
    try {
      ctx = inner ? await inner(opts) : ({} as TCtx)
    } catch (error) {
      const own = ownFailure(error)
      adoptScope(own, scope)
      throw own
    }
    const withId = withRequestId(ctx, requestId)
    // set by plain assignment: Object.defineProperty made the key read-only and slower to spread
    ;(withId as Record<symbol, unknown>)[SCOPE] = scope
    return withId
  }
}

/**
 * What a failed context factory throws on: a new object for this request. A shared error (a
 * module-level constant) is otherwise one object for every request that fails with it, and one
 * request's scope would answer for another. A TRPCError (which tRPC passes on as it is) is copied
 * with its class, code, message and cause; anything else is wrapped as tRPC would wrap it.
 */
function ownFailure(error: unknown): unknown {
  try {
    if (error instanceof Error && error.name === 'TRPCError') {
      return Object.create(Object.getPrototypeOf(error), Object.getOwnPropertyDescriptors(error))
    }
    // tRPC's own wrapping: the thrown value as cause, its stack kept
    return getTRPCErrorFromUnknown(error)
  } catch {
    // a Proxy that refuses to be read: tRPC cannot wrap it either, and answers for the request as a whole
    return error
  }
}

/** Adds the request id to a context: plain objects are copied, other contexts keep their prototype. */
function withRequestId<TCtx extends object>(ctx: TCtx, requestId: string): TCtx & { requestId: string } {
  const proto = Object.getPrototypeOf(ctx)
  if (proto === Object.prototype || proto === null) return { ...ctx, requestId }
  Object.defineProperty(ctx, 'requestId', { value: requestId, enumerable: true, configurable: true })
  return ctx as TCtx & { requestId: string }
}

/** The request-id header from a context factory's options: `req` (node, fetch) or `event` (AWS Lambda). */
function readRequestHeader(opts: object, header: string): string | undefined {
  const o = opts as { req?: unknown; event?: unknown }
  return readHeader(o.req, header) ?? readHeader(o.event, header)
}
