import { type AnyCatalog, type AnyEnvelope, IMPLICIT_CODES } from '@faultline/contract'
import type { TRPCProcedureType } from '@trpc/server'
import { type Classified, type ClassifyConfig, classify, internal } from './classify'
import { buildFailure, type Failure } from './envelope'
import { createFaultCounter, type FaultKind } from './faults'
import { indexHandlers } from './handlers'
import { describe, safeGet } from './inspect'
import { createConsoleLogger, emit, type FailureScope } from './log'
import type { FaultlineOptions } from './options'
import { acceptRequestId, isHeaderName, newRequestId, REQUEST_ID_HEADER, readHeader } from './request-id'
import type { RequestTasks } from './tasks/background'

const IMPLICIT: ReadonlySet<string> = new Set(IMPLICIT_CODES)

/** Everything known about one failure when it is resolved. */
export interface ResolveScope extends FailureScope {
  ctx: unknown
  input: unknown
  /** Called only when the failure is resolved for the first time. */
  requestId: () => string
}

function asKey(value: unknown): object | undefined {
  return (typeof value === 'object' && value !== null) || typeof value === 'function' ? (value as object) : undefined
}

function currentNodeEnv(): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env?.NODE_ENV
}

/** The request id a context carries, if it is a safe one. */
export function requestIdOfCtx(ctx: unknown): string | undefined {
  const id = safeGet(ctx, 'requestId')
  return typeof id === 'string' ? acceptRequestId(id) : undefined
}

/**
 * Marks a context with its own request, set by `fl.createContext`: request ids may repeat (a
 * client's retry, a proxy's header), requests do not. tRPC's context merges copy a symbol key along.
 */
export const REQUEST_TAG = Symbol.for('faultline.request')

/**
 * A request's own mark, and what was remembered of the request's failures. It lives as long as the
 * request's context, so it holds its entries plainly: a weak map made per request costs the garbage
 * collector far more than its allocation (measured in BENCHMARKS.md).
 */
export class RequestMark {
  // one map per cache of the resolver, made at the first failure of this request
  caches: (Map<object, unknown> | undefined)[] | undefined = undefined
  /** A fetch adapter's request: called when its Response is being produced (see `responseMeta`). */
  responseProduced: (() => void) | undefined = undefined
  /**
   * The request's background tasks, when the instance has any. Kept here rather than under a
   * symbol of its own: tRPC copies a context's every key at each middleware that extends it.
   */
  tasks: RequestTasks | undefined = undefined
}

/** What a failure is remembered under: its request's own mark, else its request id. */
function tagOf(ctx: unknown): unknown {
  const tag = safeGet(ctx, REQUEST_TAG)
  return tag === undefined ? requestIdOfCtx(ctx) : tag
}

/** A cache keyed by object whose entries only answer for the request (tag) that stored them. */
class TaggedCache<V> {
  // a mark of another copy of this package: one entry per request, so concurrent requests throwing one object keep theirs
  readonly #byRequest = new WeakMap<object, WeakMap<object, V>>()
  // a request id alone: one entry per key
  readonly #entries = new WeakMap<object, { tag: unknown; value: V }>()

  /** `slot`: this cache's place in each `RequestMark`. */
  constructor(private readonly slot: number) {}

  get(key: unknown, tag: unknown): V | undefined {
    const k = asKey(key)
    if (!k) return undefined
    if (tag instanceof RequestMark) return tag.caches?.[this.slot]?.get(k) as V | undefined
    const request = asKey(tag)
    if (request) return this.#byRequest.get(request)?.get(k)
    const entry = this.#entries.get(k)
    return entry && entry.tag === tag ? entry.value : undefined
  }

  set(key: unknown, tag: unknown, value: V): void {
    const k = asKey(key)
    if (!k) return
    if (tag instanceof RequestMark) {
      tag.caches ??= []
      const own = tag.caches[this.slot]
      if (own) own.set(k, value)
      else tag.caches[this.slot] = new Map<object, unknown>().set(k, value)
      return
    }
    const request = asKey(tag)
    if (!request) {
      this.#entries.set(k, { tag, value })
      return
    }
    const entries = this.#byRequest.get(request) ?? new WeakMap<object, V>()
    entries.set(k, value)
    this.#byRequest.set(request, entries)
  }
}

/**
 * The engine behind `createFaultline`: classifies each thrown value once,
 * checks it against the procedure's declaration, builds its envelope and logs
 * and reports it exactly once, however many of tRPC's hooks ask.
 */
export function createResolver<TCatalog extends AnyCatalog>(options: FaultlineOptions<TCatalog>) {
  if (!options || typeof options.errors?.definitions !== 'object') {
    throw new TypeError('createFaultline: `errors` must be a catalog made by defineErrors')
  }
  const validationStatus = options.validation?.status ?? 400
  if (!Number.isInteger(validationStatus) || validationStatus < 400 || validationStatus > 499) {
    throw new TypeError(`createFaultline: validation.status must be a 4xx status; got ${String(validationStatus)}`)
  }
  const expose = options.expose ?? (currentNodeEnv() === 'production' ? 'safe' : 'debug')
  if (expose !== 'safe' && expose !== 'debug') {
    throw new TypeError(`createFaultline: expose must be 'safe' or 'debug'; got ${String(expose)}`)
  }
  const faults = createFaultCounter()
  // a throwing logger is counted and never breaks an answer
  const logger = options.logger === false ? undefined : faults.guardLogger(options.logger ?? createConsoleLogger())
  const report = options.report && faults.countReport(options.report)
  const header = (options.requestIdHeader ?? REQUEST_ID_HEADER).toLowerCase()
  if (!isHeaderName(header)) {
    throw new TypeError(`createFaultline: requestIdHeader ${JSON.stringify(header)} is not a valid header name`)
  }
  const transformer = options.transformer
  const serialize = transformer ? (v: unknown) => transformer.serialize(v) : (v: unknown) => JSON.stringify(v)
  // what envelopes are checked with: a value the transformer cannot carry is counted as a fault
  const checkSerialize = (v: unknown) => {
    try {
      return serialize(v)
    } catch (cause) {
      faults.note('transformer', cause)
      throw cause
    }
  }
  const classifyConfig: ClassifyConfig = {
    catalog: options.errors,
    handlers: indexHandlers(options.handlers ?? []),
    validationStatus,
    mapValidation: options.validation?.map,
  }
  const strict = options.strict ?? false

  // Caches keyed by the thrown object, each entry tagged with the request it belongs to: the same
  // object thrown again (a shared error constant) by another request must be resolved afresh.
  const classified = new TaggedCache<Classified>(0)
  const resolved = new TaggedCache<Failure>(1)
  // the codes declared by every procedure formatter that saw an error
  const declaredFor = new TaggedCache<Set<string>>(2)
  // ids given to requests whose createContext threw, found again by the thrown value
  const pendingIds = new WeakMap<object, string>()

  const traceId = (): string | undefined => {
    try {
      return options.traceId?.()
    } catch (cause) {
      faults.note('hook', cause)
      return undefined
    }
  }

  /** Classifies a thrown value once per request; later calls for the same value reuse the answer. */
  const classifyOnce = (thrown: unknown, scope: Pick<ResolveScope, 'path' | 'type' | 'ctx'>): Classified => {
    const tag = tagOf(scope.ctx)
    const hit = classified.get(thrown, tag)
    if (hit) return hit
    const c = classify(classifyConfig, thrown, {
      path: scope.path,
      type: scope.type as TRPCProcedureType | 'unknown',
      ctx: scope.ctx,
    })
    classified.set(thrown, tag, c)
    return c
  }

  /** Records that a procedure declaring `codes` saw this error. */
  const noteDeclaration = (thrown: unknown, ctx: unknown, codes: ReadonlySet<string>) => {
    const tag = tagOf(ctx)
    const seen = declaredFor.get(thrown, tag) ?? new Set<string>()
    for (const code of codes) seen.add(code)
    declaredFor.set(thrown, tag, seen)
  }

  // declared: the procedure declared the code; violation: it declared others but not this one;
  // undefined: no declaration saw the error (or the code is one every procedure may send)
  const verdict = (thrown: unknown, ctx: unknown, c: Classified): 'declared' | 'violation' | undefined => {
    const seen = declaredFor.get(thrown, tagOf(ctx))
    if (!seen || IMPLICIT.has(c.code)) return undefined
    return seen.has(c.code) ? 'declared' : 'violation'
  }

  const lastResort = (cause: unknown, requestId: string | undefined): Failure => {
    const c: Classified = { code: 'INTERNAL', message: 'Internal server error', handled: false, original: cause }
    const envelope: AnyEnvelope = {
      v: 1,
      code: 'INTERNAL',
      status: 500,
      message: c.message,
      retry: { retryable: false },
    }
    if (requestId) envelope.requestId = requestId
    try {
      logger?.error({ error: describe(cause, true), requestId }, 'faultline: failed to format an error')
    } catch {
      // nothing left to tell
    }
    return { envelope, trpc: 'INTERNAL_SERVER_ERROR', headers: {}, classified: c }
  }

  /**
   * The failure for a thrown value: built, logged and reported the first time
   * it is seen in a request, remembered for that request after. `once: false`
   * resolves afresh every time (each call is its own failure).
   */
  const resolve = (thrown: unknown, scope: ResolveScope, once = true): Failure => {
    const tag = tagOf(scope.ctx)
    const hit = once ? resolved.get(thrown, tag) : undefined
    if (hit) return hit
    const requestId = scope.requestId()
    let failure: Failure
    try {
      let c = once
        ? classifyOnce(thrown, scope)
        : classify(classifyConfig, thrown, { path: scope.path, type: 'unknown', ctx: scope.ctx })
      if (c.handlerFault) faults.note('handler', c.handlerFault.cause)
      const judged = verdict(thrown, scope.ctx, c)
      if (judged === 'violation') {
        const reason = `${c.code} is not declared by ${scope.path ?? 'this procedure'}`
        c = strict ? internal(classifyConfig, c.original, `contract violation: ${reason}`) : { ...c, violation: reason }
      }
      failure = buildFailure(c, {
        catalog: options.errors,
        validationStatus,
        expose,
        serialize: checkSerialize,
        serializeInput: serialize,
        requestId,
        requestIdHeader: header,
        traceId: traceId(),
        input: scope.input,
      })
      // the verdict is on the code judged: data that could not be sent made it INTERNAL, which any procedure may send
      const judgedCodeSent = failure.envelope.code === c.code
      if (judgedCodeSent && judged === 'declared') failure.envelope.declared = true
      else if (judgedCodeSent && judged === 'violation' && !strict) failure.envelope.declared = false
      emit(logger, report, failure.classified, failure.envelope, scope)
    } catch (cause) {
      failure = lastResort(cause, requestId)
    }
    if (once) resolved.set(thrown, tag, failure)
    return failure
  }

  const requestIdFor = (thrown: unknown, ctx: unknown, req: unknown): string => {
    const fromCtx = requestIdOfCtx(ctx)
    if (fromCtx) return fromCtx
    const key = asKey(thrown)
    const causeKey = asKey(safeGet(thrown, 'cause'))
    const pending = (key && pendingIds.get(key)) || (causeKey && pendingIds.get(causeKey))
    return pending || acceptRequestId(readHeader(req, header)) || newRequestId()
  }

  return {
    catalog: options.errors,
    expose,
    header,
    classifyOnce,
    noteDeclaration,
    resolve,
    lastResort,
    requestIdFor,
    /** The failure already resolved for an error in a request, if any (for response headers). */
    resolvedFor: (error: object, ctx: unknown) => resolved.get(error, tagOf(ctx)),
    /** Logs (and counts, as a `tasks` fault) a fault of the task machinery (a store, a runner), never a request's failure. */
    logInternal(msg: string, cause: unknown, extra: Record<string, unknown> = {}) {
      faults.note('tasks', cause)
      try {
        logger?.error({ ...extra, error: describe(cause, true) }, msg)
      } catch {
        // a broken logger has nowhere left to report to
      }
    },
    /** Counts a fault of an app's piece (and logs `msg` when given); see `Faults`. */
    fault(kind: FaultKind, cause: unknown, msg?: string, extra: Record<string, unknown> = {}) {
      faults.note(kind, cause)
      if (msg) logger?.error({ ...extra, error: describe(cause, true) }, msg)
    },
    /** How many faults of each kind so far. */
    faults: faults.snapshot,
    /** The serializer error data is checked with. */
    serialize,
    /** Remembers the id of a request whose context factory threw. */
    rememberRequestId: (thrown: unknown, requestId: string) => {
      const key = asKey(thrown)
      if (key) pendingIds.set(key, requestId)
    },
  }
}

export type Resolver = ReturnType<typeof createResolver>
