import { getDefinition, type ProblemDetails, toProblemDetails } from '@faultline/contract'
import type { Config } from './config'
import type { Engine } from './engine/engine'
import type { Failure } from './engine/failure'
import { requestIdOfContext } from './engine/scope'
import { acceptRequestId, newRequestId } from './request-id'

/** Where a thrown value came from, for `toEnvelope` and `toProblem`. */
export interface ResolveOptions {
  path?: string
  requestId?: string
  input?: unknown
  ctx?: unknown
}

/** An RFC 9457 answer: its status, its headers (content type and request id included) and its body. */
export interface ProblemResponse {
  status: number
  headers: Record<string, string>
  body: ProblemDetails
}

/** Failures outside tRPC (plain HTTP routes, errors before the tRPC handler): each call is a failure of its own. */
export function createOutsideTRPC(engine: Engine, config: Config) {
  const resolve = (thrown: unknown, opts: ResolveOptions): Failure =>
    engine.resolveAlone(
      thrown,
      { source: 'request', path: opts.path, type: 'unknown', ctx: opts.ctx, input: opts.input },
      acceptRequestId(opts.requestId) ?? requestIdOfContext(opts.ctx) ?? newRequestId(),
    )

  return {
    /** The envelope for any thrown value (logged and reported once, like a request error). */
    toEnvelope: (thrown: unknown, opts: ResolveOptions = {}) => resolve(thrown, opts).envelope,
    /** An RFC 9457 `application/problem+json` answer for any thrown value. */
    toProblem(thrown: unknown, opts: ResolveOptions & { instance?: string } = {}): ProblemResponse {
      const failure = resolve(thrown, opts)
      const { envelope } = failure
      const title = getDefinition(config.catalog, envelope.code)?.message
      const problemOpts: { title?: string; instance?: string } = {}
      if (title !== undefined) problemOpts.title = title
      if (opts.instance !== undefined) problemOpts.instance = opts.instance
      const headers: Record<string, string> = { ...failure.headers, 'content-type': 'application/problem+json' }
      if (envelope.requestId) headers[config.requestIdHeader] = envelope.requestId
      const body = toProblemDetails(envelope, problemOpts)
      // a problem body is plain JSON: data only a transformer can carry (BigInt, Map) is left out
      if (body.data !== undefined && !jsonFaithful(body.data)) delete body.data
      return { status: envelope.status, headers, body }
    },
  }
}

/** Whether JSON carries a value without loss: no BigInt (it throws), no Map or Set (they flatten to {}). */
function jsonFaithful(value: unknown): boolean {
  try {
    JSON.stringify(value)
  } catch {
    return false
  }
  return !hasCollections(value, 0)
}

function hasCollections(value: unknown, depth: number): boolean {
  if (depth > 64 || typeof value !== 'object' || value === null) return false
  if (value instanceof Map || value instanceof Set) return true
  return Object.values(value).some((v) => hasCollections(v, depth + 1))
}
