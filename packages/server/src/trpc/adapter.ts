import type { TRPCError, TRPCProcedureType } from '@trpc/server'
import type { Config } from '../config'
import type { Engine } from '../engine/engine'
import { scopeFor, scopeOfContext } from '../engine/scope'
import { acceptRequestId, newRequestId, readHeader } from '../request-id'
import { siteOf } from './formatter'

/** What tRPC passes to an adapter's `onError`. */
export interface OnErrorOptions {
  error: TRPCError
  type: TRPCProcedureType | 'unknown'
  path: string | undefined
  input: unknown
  ctx: unknown
  req: unknown
}

/** What tRPC passes to an adapter's `responseMeta` (the parts Faultline reads). */
export interface ResponseMetaOptions {
  ctx?: unknown
  errors: readonly TRPCError[]
  /** Set when the status was not computed from the error shapes before the call. */
  eagerGeneration?: boolean
}

/** What an adapter's `responseMeta` returns. */
export interface ResponseMeta {
  status?: number
  headers?: Headers
}

/** The adapter hooks of one instance: `onError`, `responseMeta`, and `adapter()` to spread them with the app's own. */
export function createAdapterHooks(engine: Engine, config: Config) {
  /** The adapter's `onError`: resolves (and so logs and reports) each failure, with the request's id. */
  const onError = (opts: OnErrorOptions): void => {
    try {
      const fromRequest = () => acceptRequestId(readHeader(opts.req, config.requestIdHeader)) ?? newRequestId()
      const scope = scopeFor(opts.error, opts.ctx, fromRequest)
      // A streamed item's error comes without its path, and the formatter follows with it: the
      // scope is settled here (with the request's id), the failure there, where the log line has its path.
      if (opts.path !== undefined) engine.resolve(scope, opts.error, siteOf(opts))
    } catch {
      // resolve is total; this only guards the adapter from a bug
    }
  }

  /** The adapter's `responseMeta`: the request id header, and the headers errors carry (`WWW-Authenticate`, `Retry-After`). */
  const responseMeta = (opts: ResponseMetaOptions): ResponseMeta => {
    const own = scopeOfContext(opts.ctx)
    // a fetch adapter produces its Response right after this returns: the request's tasks may start
    own?.produced()
    const headers = new Headers()
    let requestId = own?.requestId
    let status: number | undefined
    for (const error of opts.errors ?? []) {
      const scope = scopeFor(error, opts.ctx, newRequestId)
      const { failure } = engine.resolve(scope, error, {
        source: 'request',
        path: undefined,
        type: 'unknown',
        ctx: opts.ctx,
        input: undefined,
      })
      requestId ??= scope.requestId
      status = failure.envelope.status
      for (const [name, value] of Object.entries(failure.headers)) if (!headers.has(name)) headers.set(name, value)
    }
    if (requestId) headers.set(config.requestIdHeader, requestId)
    // tRPC sets the status from the error shape and asks with eagerGeneration false; an adapter that
    // asks first (trpc-to-openapi's REST handler) would send 500 for every catalog error without it
    if (opts.eagerGeneration === true && opts.errors?.length === 1 && status !== undefined) return { status, headers }
    return { headers }
  }

  return {
    onError,
    responseMeta,
    /** The adapter options, the app's own `onError` and `responseMeta` run after Faultline's, each guarded. */
    adapter<TOnError extends (opts: never) => void, TMeta extends (opts: never) => ResponseMeta | undefined>(
      own: { onError?: TOnError; responseMeta?: TMeta } = {},
    ) {
      return {
        onError(opts: OnErrorOptions) {
          onError(opts)
          // tRPC does not guard onError: a throw there leaves the request unanswered and rejects unhandled
          try {
            own.onError?.(opts as never)
          } catch (cause) {
            engine.fault('hook', cause, "faultline: the app's onError threw")
          }
        },
        responseMeta(opts: ResponseMetaOptions) {
          const ours = responseMeta(opts)
          let theirs: ResponseMeta | undefined
          // as with onError, a throw here would leave the request unanswered: our headers still go
          try {
            theirs = own.responseMeta?.(opts as never)
          } catch (cause) {
            engine.fault('hook', cause, "faultline: the app's responseMeta threw")
          }
          if (!theirs) return ours
          return { ...ours, ...theirs, headers: mergeHeaders(ours.headers ?? new Headers(), theirs.headers) }
        },
      }
    },
  }
}

/** The app's headers win over Faultline's, every value kept (several Set-Cookie included). */
function mergeHeaders(
  ours: Headers,
  theirs: ResponseMeta['headers'] | Record<string, string | string[] | undefined>,
): Headers {
  const incoming: [string, string][] = []
  if (theirs instanceof Headers) {
    for (const [name, value] of theirs) if (name !== 'set-cookie') incoming.push([name, value])
    // iterating Headers may fold or repeat cookies; getSetCookie lists each once
    for (const cookie of theirs.getSetCookie()) incoming.push(['set-cookie', cookie])
  } else if (theirs) {
    for (const [name, value] of Object.entries(theirs)) {
      for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) incoming.push([name, v])
    }
  }
  const replaced = new Set<string>()
  for (const [name, value] of incoming) {
    const lower = name.toLowerCase()
    if (!replaced.has(lower)) {
      replaced.add(lower)
      ours.delete(lower)
    }
    ours.append(lower, value)
  }
  return ours
}
