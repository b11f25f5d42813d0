import {
  type AnyCatalog,
  type AnyEnvelope,
  getDefinition,
  type inferEnvelope,
  type ProblemDetails,
  type TRPCCodeKey,
  toProblemDetails,
} from '@faultline/contract'
import type { TRPCError, TRPCErrorShape, TRPCProcedureType } from '@trpc/server'
import { type TRPC_ERROR_CODE_NUMBER, TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import { type Classified, type ClassifyConfig, classify } from './classify'
import { buildFailure, type Failure } from './envelope'
import { indexHandlers } from './handlers'
import { describe, safeGet } from './inspect'
import { createConsoleLogger, emit, type FailureScope } from './log'
import type { FaultlineOptions } from './options'
import { acceptRequestId, newRequestId, REQUEST_ID_HEADER, readHeader } from './request-id'

/** The error shape Faultline sends: tRPC's default shape, with the envelope in `data.error`. */
export interface FaultlineShape<TEnvelope = AnyEnvelope> extends TRPCErrorShape {
  code: TRPC_ERROR_CODE_NUMBER
  message: string
  data: {
    /** tRPC's code key, so stock clients still see a sensible code. */
    code: TRPCCodeKey
    /** The response's HTTP status; tRPC sets the status from it. */
    httpStatus: number
    path?: string
    /** The Faultline envelope. */
    error: TEnvelope
  }
}

/** What tRPC passes to an error formatter. */
export interface FormatterOptions {
  error: TRPCError
  type: TRPCProcedureType | 'unknown'
  path: string | undefined
  input: unknown
  ctx: unknown
  shape: unknown
}

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
}

/** What an adapter's `responseMeta` returns. */
export interface ResponseMeta {
  status?: number
  headers?: Headers
}

/** Where a thrown value came from, for `toEnvelope` and `toProblem`. */
export interface ResolveOptions {
  path?: string
  requestId?: string
  input?: unknown
  ctx?: unknown
}

type ContextFn<TOpts, TCtx> = (opts: TOpts) => TCtx | Promise<TCtx>

function requestIdOfCtx(ctx: unknown): string | undefined {
  const id = safeGet(ctx, 'requestId')
  return typeof id === 'string' ? id : undefined
}

function asKey(value: unknown): object | undefined {
  return (typeof value === 'object' && value !== null) || typeof value === 'function' ? (value as object) : undefined
}

function currentNodeEnv(): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env?.NODE_ENV
}

/**
 * Creates the Faultline integration for a tRPC app: wire `errorFormatter` into
 * `initTRPC.create`, `adapter()` into the HTTP adapter's options and
 * `createContext(...)` around your context factory.
 *
 * @example
 * const fl = createFaultline({ errors, transformer: superjson, logger })
 * const t = initTRPC.context<Ctx>().create({ transformer: superjson, errorFormatter: fl.errorFormatter })
 * createHTTPServer({ router, createContext: fl.createContext(createContext), ...fl.adapter() })
 */
export function createFaultline<TCatalog extends AnyCatalog>(options: FaultlineOptions<TCatalog>) {
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
  const logger = options.logger === false ? undefined : (options.logger ?? createConsoleLogger())
  const header = (options.requestIdHeader ?? REQUEST_ID_HEADER).toLowerCase()
  const transformer = options.transformer
  const serialize = transformer ? (v: unknown) => transformer.serialize(v) : (v: unknown) => JSON.stringify(v)
  const classifyConfig: ClassifyConfig = {
    catalog: options.errors,
    handlers: indexHandlers(options.handlers ?? []),
    validationStatus,
    mapValidation: options.validation?.map,
  }
  const memo = new WeakMap<object, Failure>()
  // ids given to requests whose createContext threw, found again by the thrown value
  const pendingIds = new WeakMap<object, string>()

  const traceId = (): string | undefined => {
    try {
      return options.traceId?.()
    } catch {
      return undefined
    }
  }

  const requestIdFor = (thrown: unknown, ctx: unknown, req: unknown): string => {
    const fromCtx = requestIdOfCtx(ctx)
    if (fromCtx) return fromCtx
    const key = asKey(thrown)
    const pending = key && (pendingIds.get(key) ?? asKeyLookup(pendingIds, safeGet(thrown, 'cause')))
    return pending || acceptRequestId(readHeader(req, header)) || newRequestId()
  }

  const lastResort = (cause: unknown, requestId: string | undefined): Failure => {
    const c: Classified = {
      code: 'INTERNAL',
      message: 'Internal server error',
      handled: false,
      original: cause,
      reason: 'faultline failed to format an error',
    }
    const envelope: AnyEnvelope = {
      v: 1,
      code: 'INTERNAL',
      status: 500,
      message: c.message,
      retry: { retryable: false },
    }
    if (requestId) envelope.requestId = requestId
    try {
      logger?.error({ error: describe(cause), requestId }, 'faultline: failed to format an error')
    } catch {
      // nothing left to tell
    }
    return { envelope, trpc: 'INTERNAL_SERVER_ERROR', headers: {}, classified: c }
  }

  const resolve = (
    thrown: unknown,
    scope: FailureScope & { ctx: unknown; input: unknown; requestId: () => string },
  ): Failure => {
    const key = asKey(thrown)
    const hit = key && memo.get(key)
    if (hit) return hit
    let failure: Failure
    const requestId = scope.requestId()
    try {
      const info = { path: scope.path, type: scope.type as TRPCProcedureType | 'unknown', ctx: scope.ctx }
      const c = classify(classifyConfig, thrown, info)
      failure = buildFailure(c, {
        catalog: options.errors,
        validationStatus,
        expose,
        serialize,
        requestId,
        traceId: traceId(),
        input: scope.input,
      })
      emit(logger, options.report, failure.classified, failure.envelope, scope)
    } catch (cause) {
      failure = lastResort(cause, requestId)
    }
    if (key) memo.set(key, failure)
    return failure
  }

  const resolveTRPC = (o: {
    error: TRPCError
    type: string
    path: string | undefined
    input: unknown
    ctx: unknown
    req?: unknown
  }) =>
    resolve(o.error, {
      source: 'request',
      path: o.path,
      type: o.type,
      ctx: o.ctx,
      input: o.input,
      requestId: () => requestIdFor(o.error, o.ctx, o.req),
    })

  const toShape = (failure: Failure, path: string | undefined): FaultlineShape<inferEnvelope<TCatalog>> => {
    const data: FaultlineShape['data'] = {
      code: failure.trpc,
      httpStatus: failure.envelope.status,
      error: failure.envelope,
    }
    if (path !== undefined) data.path = path
    return {
      code: TRPC_ERROR_CODES_BY_KEY[failure.trpc],
      message: failure.envelope.message,
      data: data as FaultlineShape<inferEnvelope<TCatalog>>['data'],
    }
  }

  /** tRPC's `errorFormatter`: turns every error into the catalog's envelope. */
  const errorFormatter = (opts: FormatterOptions): FaultlineShape<inferEnvelope<TCatalog>> => {
    try {
      return toShape(resolveTRPC(opts), opts.path)
    } catch (cause) {
      return toShape(lastResort(cause, undefined), opts.path)
    }
  }

  /** The adapter's `onError`: resolves (and logs) each failure, reading the request id from the request. */
  const onError = (opts: OnErrorOptions): void => {
    try {
      resolveTRPC(opts)
    } catch {
      // resolve is total; this only guards the adapter from a bug
    }
  }

  /** The adapter's `responseMeta`: request id header, and the headers errors carry (`WWW-Authenticate`, `Retry-After`). */
  const responseMeta = (opts: ResponseMetaOptions): ResponseMeta => {
    const headers = new Headers()
    let requestId = requestIdOfCtx(opts.ctx)
    for (const error of opts.errors ?? []) {
      const failure = memo.get(error)
      if (!failure) continue
      requestId ??= failure.envelope.requestId
      for (const [name, value] of Object.entries(failure.headers)) if (!headers.has(name)) headers.set(name, value)
    }
    if (requestId) headers.set(header, requestId)
    return { headers }
  }

  return {
    /** The catalog this instance formats to. */
    errors: options.errors,
    /** Which exposure is in force. */
    expose,
    errorFormatter,
    /**
     * Wraps the app's own formatter: it receives Faultline's shape and may add
     * fields. Keep `data.error`; clients read the envelope from it.
     */
    formatter<TShape extends FaultlineShape<inferEnvelope<TCatalog>>>(
      fn: (opts: Omit<FormatterOptions, 'shape'> & { shape: FaultlineShape<inferEnvelope<TCatalog>> }) => TShape,
    ): (opts: FormatterOptions) => TShape {
      return (opts) => fn({ ...opts, shape: errorFormatter(opts) })
    },
    onError,
    responseMeta,
    /**
     * The adapter options to spread into `createHTTPServer`, `fetchRequestHandler`
     * and friends. Pass your own `onError`/`responseMeta` to run them too.
     */
    adapter<TOnError extends (opts: never) => void, TMeta extends (opts: never) => ResponseMeta | undefined>(
      own: { onError?: TOnError; responseMeta?: TMeta } = {},
    ) {
      return {
        onError(opts: OnErrorOptions) {
          onError(opts)
          own.onError?.(opts as never)
        },
        responseMeta(opts: ResponseMetaOptions) {
          const ours = responseMeta(opts)
          const theirs = own.responseMeta?.(opts as never)
          if (!theirs) return ours
          const headers = ours.headers ?? new Headers()
          for (const [k, v] of new Headers(theirs.headers ?? undefined)) headers.set(k, v)
          return { ...theirs, headers }
        },
      }
    },
    /**
     * Wraps a context factory to add `requestId`: the incoming `x-request-id`
     * when it is short and safe, else a fresh one. It reaches the envelope, the
     * response header and every log line, even when the factory throws.
     */
    createContext<TOpts extends object, TCtx extends object = Record<never, never>>(
      inner?: ContextFn<TOpts, TCtx>,
    ): (opts: TOpts) => Promise<TCtx & { requestId: string }> {
      return async (opts) => {
        const requestId = acceptRequestId(readHeader((opts as { req?: unknown }).req, header)) ?? newRequestId()
        let ctx: TCtx
        try {
          ctx = inner ? await inner(opts) : ({} as TCtx)
        } catch (error) {
          const key = asKey(error)
          if (key) pendingIds.set(key, requestId)
          throw error
        }
        return { ...ctx, requestId }
      }
    },
    /** The envelope for any thrown value, outside tRPC (logged and reported once, like a request error). */
    toEnvelope(thrown: unknown, opts: ResolveOptions = {}): inferEnvelope<TCatalog> {
      const failure = resolve(thrown, {
        source: 'request',
        path: opts.path,
        type: 'unknown',
        ctx: opts.ctx,
        input: opts.input,
        requestId: () => opts.requestId ?? requestIdOfCtx(opts.ctx) ?? newRequestId(),
      })
      return failure.envelope as inferEnvelope<TCatalog>
    },
    /**
     * An RFC 9457 `application/problem+json` answer for any thrown value, for
     * surfaces outside tRPC (errors before the tRPC handler, plain HTTP routes).
     */
    toProblem(
      thrown: unknown,
      opts: ResolveOptions & { instance?: string } = {},
    ): {
      status: number
      headers: Record<string, string>
      body: ProblemDetails
    } {
      const failure = resolve(thrown, {
        source: 'request',
        path: opts.path,
        type: 'unknown',
        ctx: opts.ctx,
        input: opts.input,
        requestId: () => opts.requestId ?? requestIdOfCtx(opts.ctx) ?? newRequestId(),
      })
      const { envelope } = failure
      const title = getDefinition(options.errors, envelope.code)?.message
      const problemOpts: { title?: string; instance?: string } = {}
      if (title !== undefined) problemOpts.title = title
      if (opts.instance !== undefined) problemOpts.instance = opts.instance
      const body = toProblemDetails(envelope, problemOpts)
      const headers: Record<string, string> = { 'content-type': 'application/problem+json', ...failure.headers }
      if (envelope.requestId) headers[header] = envelope.requestId
      return { status: envelope.status, headers, body }
    },
  }
}

function asKeyLookup(map: WeakMap<object, string>, value: unknown): string | undefined {
  const key = asKey(value)
  return key ? map.get(key) : undefined
}

/** A Faultline instance. */
export type Faultline<TCatalog extends AnyCatalog = AnyCatalog> = ReturnType<typeof createFaultline<TCatalog>>
