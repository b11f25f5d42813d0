import {
  type AnyCatalog,
  getDefinition,
  type inferCodes,
  type inferDefinitions,
  type inferEnvelope,
  type isRegistered,
  type ProblemDetails,
  toProblemDetails,
} from '@faultline/contract'
import { getTRPCErrorFromUnknown, type TRPCError, type TRPCProcedureType } from '@trpc/server'
import type { Faults } from './faults'
import { describe, safeGet } from './inspect'
import { DECLARATION_PROBE } from './inspect-declarations'
import type { FaultlineOptions } from './options'
import { acceptRequestId, newRequestId, readHeader } from './request-id'
import { createResolver, REQUEST_TAG, RequestMark, requestIdOfCtx } from './resolver'
import {
  type DeclaredDefinitionsShape,
  type DefinitionsShape,
  passesPlainShapes,
  type RegisteredDeclaredShape,
  type RegisteredShape,
  toShape,
} from './shape'
import { createBackground } from './tasks'
import type { AnyTaskDefinition } from './tasks/define'
import type { BackgroundOptions } from './tasks/runner'

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

/**
 * Creates the Faultline integration for a tRPC app: wire `errorFormatter` into
 * `initTRPC.create`, `adapter()` into the HTTP adapter's options and
 * `createContext(...)` around your context factory.
 *
 * @example
 * const fl = createFaultline({ errors, transformer: superjson, logger })
 * const t = initTRPC.context<Ctx>().create({ transformer: superjson, errorFormatter: fl.errorFormatter })
 * createHTTPServer({ router, createContext: fl.createContext(createContext), ...fl.adapter() })
 *
 * @typeParam TRegistered - whether `TCatalog` is the catalog registered in `Register` (then the
 * error shapes are the cheaper `RegisteredShape` and `RegisteredDeclaredShape`). Leave it to its default.
 */
export function createFaultline<
  TCatalog extends AnyCatalog,
  const TTasks extends readonly AnyTaskDefinition[] = [],
  TRegistered extends boolean = isRegistered<TCatalog>,
>(
  options: FaultlineOptions<TCatalog> & {
    /** Background tasks: work that runs after the response, failing into the same contract. */
    background?: BackgroundOptions<TTasks>
  },
) {
  const engine = createResolver(options)
  // the interfaces themselves, not the CatalogShape alias: an alias of a generic interface makes tRPC's
  // generics walk the whole catalog type at every step (see DefinitionsShape and Register)
  type Shape = TRegistered extends true ? RegisteredShape : DefinitionsShape<inferDefinitions<TCatalog>>
  if (options.transformer) checkTransformer(options.transformer)
  // shapes of plain JSON skip the transformer's walk where it allows (superjson does); see toShape
  const plainShapes = passesPlainShapes(options.transformer)

  const resolveTRPC = (o: Omit<OnErrorOptions, 'req'> & { req?: unknown }) =>
    engine.resolve(o.error, {
      source: 'request',
      path: o.path,
      type: o.type,
      ctx: o.ctx,
      input: o.input,
      requestId: () => engine.requestIdFor(o.error, o.ctx, o.req),
    })

  /** tRPC's `errorFormatter`: turns every error into the catalog's envelope. */
  const errorFormatter = (opts: FormatterOptions): Shape => {
    try {
      return toShape<Shape>(resolveTRPC(opts), opts.path, opts.type, plainShapes)
    } catch (cause) {
      return toShape<Shape>(engine.lastResort(cause, undefined), opts.path, opts.type, plainShapes)
    }
  }

  const tasks = options.background
    ? createBackground<TCatalog, TTasks>(engine, options.background, errorFormatter)
    : undefined
  const needTasks = (what: string) => {
    if (!tasks)
      throw new TypeError(
        `fl.${what}: configure background tasks first: createFaultline({ background: { tasks: [...] } })`,
      )
    return tasks
  }

  /** The adapter's `onError`: resolves (and logs) each failure, reading the request id from the request. */
  const onError = (opts: OnErrorOptions): void => {
    try {
      // Without a path the formatter follows with more (a stream item gets its path there), so only
      // keep the request's id for it; resolving here would log the failure under a second key.
      if (opts.path === undefined)
        engine.rememberRequestId(opts.error, engine.requestIdFor(opts.error, opts.ctx, opts.req))
      else resolveTRPC(opts)
    } catch {
      // resolve is total; this only guards the adapter from a bug
    }
  }

  /** The adapter's `responseMeta`: request id header, and the headers errors carry (`WWW-Authenticate`, `Retry-After`). */
  const responseMeta = (opts: ResponseMetaOptions): ResponseMeta => {
    // fetch adapters have no response to watch: the Response is produced right after this returns
    const mark = safeGet(opts.ctx, REQUEST_TAG)
    if (mark instanceof RequestMark) mark.responseProduced?.()
    const headers = new Headers()
    let requestId = requestIdOfCtx(opts.ctx)
    for (const error of opts.errors ?? []) {
      const failure = engine.resolvedFor(error, opts.ctx)
      if (!failure) continue
      requestId ??= failure.envelope.requestId
      for (const [name, value] of Object.entries(failure.headers)) if (!headers.has(name)) headers.set(name, value)
    }
    if (requestId) headers.set(engine.header, requestId)
    return { headers }
  }

  // each call outside tRPC is its own failure, even for an error object seen before
  const resolveOutside = (thrown: unknown, opts: ResolveOptions) =>
    engine.resolve(
      thrown,
      {
        source: 'request',
        path: opts.path,
        type: 'unknown',
        ctx: opts.ctx,
        input: opts.input,
        requestId: () => acceptRequestId(opts.requestId) ?? requestIdOfCtx(opts.ctx) ?? newRequestId(),
      },
      false,
    )

  return {
    /** The catalog this instance formats to. */
    errors: options.errors,
    /** Which exposure is in force. */
    expose: engine.expose,
    errorFormatter,
    /**
     * Wraps the app's own formatter: it receives Faultline's shape and may add
     * fields. Keep `data.error`; clients read the envelope from it.
     */
    formatter<TShape extends Shape>(
      fn: (opts: Omit<FormatterOptions, 'shape'> & { shape: Shape }) => TShape,
    ): (opts: FormatterOptions) => TShape {
      return (opts) => fn({ ...opts, shape: errorFormatter(opts) })
    },
    /**
     * Declares the catalog codes a procedure may throw, as the argument of
     * tRPC's `.errors()`. Clients then see exactly these codes plus the ones
     * every procedure may send. An undeclared code is still sent, marked
     * `declared: false` and logged as a contract violation (or answered as
     * INTERNAL with `strict`). Put it before the steps whose errors it covers,
     * like any `.errors()`: a base procedure's declaration covers its middlewares.
     *
     * @example
     * const authed = t.procedure.errors(fl.declare('UNAUTHORIZED')).use(isAuthed)
     * const byId = authed.errors(fl.declare('USER_NOT_FOUND')).input(z.object({ id: z.string() })).query(…)
     */
    declare<const TCodes extends inferCodes<TCatalog> = never>(
      ...codes: TCodes[]
    ): (
      opts: FormatterOptions,
    ) =>
      | (TRegistered extends true
          ? RegisteredDeclaredShape<TCodes>
          : DeclaredDefinitionsShape<inferDefinitions<TCatalog>, TCodes>)
      | undefined {
      type Declared = TRegistered extends true
        ? RegisteredDeclaredShape<TCodes>
        : DeclaredDefinitionsShape<inferDefinitions<TCatalog>, TCodes>
      for (const code of codes) {
        if (!getDefinition(options.errors, code)) {
          throw new TypeError(`fl.declare: ${String(code)} is not a code of this catalog`)
        }
      }
      const declared: ReadonlySet<string> = new Set(codes)
      return (opts) => {
        // inspectDeclarations asks what this procedure declares: answer, and format nothing
        const probe = (opts.error as { [DECLARATION_PROBE]?: string[][] })[DECLARATION_PROBE]
        if (probe) {
          probe.push([...declared])
          return undefined
        }
        try {
          engine.noteDeclaration(opts.error, opts.ctx, declared)
          const c = engine.classifyOnce(opts.error, opts)
          // codes this declaration does not cover go on to outer declarations and the root formatter
          if (!declared.has(c.code)) return undefined
          return toShape<Declared>(resolveTRPC(opts), opts.path, opts.type, plainShapes)
        } catch {
          return undefined
        }
      }
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
          return { ...theirs, headers: mergeHeaders(ours.headers ?? new Headers(), theirs.headers) }
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
      contextOpts: {
        /** Keeps a serverless invocation alive until its background tasks finish (e.g. `executionCtx.waitUntil`). */
        waitUntil?: (promise: Promise<void>) => void
      } = {},
    ): (opts: TOpts) => Promise<TCtx & { requestId: string }> {
      return async (opts) => {
        const requestId = acceptRequestId(readRequestHeader(opts, engine.header)) ?? newRequestId()
        let ctx: TCtx
        try {
          ctx = inner ? await inner(opts) : ({} as TCtx)
        } catch (error) {
          const own = ownFailure(error)
          engine.rememberRequestId(own, requestId)
          throw own
        }
        const withId = withRequestId(ctx, requestId)
        // symbol keys, which tRPC's context merges copy to every middleware's context; set by plain
        // assignment, as Object.defineProperty made them read-only, slower to add and slower to spread
        const marks = withId as Record<symbol, unknown>
        const mark = new RequestMark()
        marks[REQUEST_TAG] = mark
        if (tasks) {
          const { state, responseProduced } = tasks.requestState(opts, contextOpts.waitUntil)
          mark.tasks = state
          mark.responseProduced = responseProduced
        }
        return withId
      }
    },
    /**
     * A procedure piece that gives each call `ctx.background`; join it to your
     * base procedure: `t.procedure.concat(fl.background)`.
     */
    get background() {
      return needTasks('background').piece
    },
    /** The task runner: `status(id)`, `drain({ timeoutMs })`, `failures()`, `watch(id, fn)`. */
    get tasks() {
      const { runner } = needTasks('tasks')
      return {
        status: runner.status,
        watch: runner.watch,
        drain: runner.drain,
        failures: runner.failures,
      }
    },
    /**
     * How many times each piece around a failure has failed (the logger, the
     * report hook, an error handler, another hook, the transformer, the task
     * store or runner), and how many report calls are still pending. Each fault
     * was caught: every request still got its envelope. The first of each kind
     * is also printed once on stderr.
     */
    faults(): Faults {
      return engine.faults()
    },
    /** A router to mount for clients: `status({ id })` and the `watch({ id })` subscription. */
    get taskRouter() {
      return needTasks('taskRouter').router
    },
    /** The envelope for any thrown value, outside tRPC (logged and reported once, like a request error). */
    toEnvelope(thrown: unknown, opts: ResolveOptions = {}): inferEnvelope<TCatalog> {
      return resolveOutside(thrown, opts).envelope as inferEnvelope<TCatalog>
    },
    /**
     * An RFC 9457 `application/problem+json` answer for any thrown value, for
     * surfaces outside tRPC (errors before the tRPC handler, plain HTTP routes).
     */
    toProblem(
      thrown: unknown,
      opts: ResolveOptions & { instance?: string } = {},
    ): { status: number; headers: Record<string, string>; body: ProblemDetails } {
      const failure = resolveOutside(thrown, opts)
      const { envelope } = failure
      const title = getDefinition(options.errors, envelope.code)?.message
      const problemOpts: { title?: string; instance?: string } = {}
      if (title !== undefined) problemOpts.title = title
      if (opts.instance !== undefined) problemOpts.instance = opts.instance
      const headers: Record<string, string> = { ...failure.headers, 'content-type': 'application/problem+json' }
      if (envelope.requestId) headers[engine.header] = envelope.requestId
      const body = toProblemDetails(envelope, problemOpts)
      // a problem body is plain JSON: data only a transformer can carry (BigInt, Map) is left out
      if (body.data !== undefined && !jsonFaithful(body.data)) delete body.data
      return { status: envelope.status, headers, body }
    },
  }
}

/**
 * Fails at startup when the transformer cannot serialize even a plain error
 * response: tRPC could then answer no request (its node adapter leaves the
 * request open and its exception handler rejects unhandled).
 */
function checkTransformer(transformer: { serialize(value: unknown): unknown }): void {
  const envelope = {
    v: 1,
    code: 'INTERNAL',
    status: 500,
    message: 'Internal server error',
    retry: { retryable: false },
  }
  const shape = {
    code: -32603,
    message: envelope.message,
    data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, error: envelope },
  }
  try {
    transformer.serialize({ error: shape })
  } catch (cause) {
    const { name, message } = describe(cause)
    throw new TypeError(
      `createFaultline: the transformer cannot serialize a plain error response (${name}: ${message}); tRPC could answer no request with it`,
    )
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

/**
 * What a failed context factory throws on: a new object for this request. A shared error (a
 * module-level constant) is otherwise one object for every request that fails with it, and the id
 * remembered for one request would answer for another. A TRPCError (which tRPC passes on as it is)
 * is copied with its class, code, message and cause; anything else is wrapped as tRPC would wrap it.
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

/** A Faultline instance. */
export type Faultline<TCatalog extends AnyCatalog = AnyCatalog> = ReturnType<typeof createFaultline<TCatalog>>
