import type { AnyCatalog, inferCodes, inferDefinitions, inferEnvelope, isRegistered } from '@faultline/contract'
import { resolveConfig } from './config'
import { createEngine } from './engine/engine'
import type { Faults } from './engine/faults'
import type { FaultlineOptions } from './options'
import { createOutsideTRPC, type ProblemResponse, type ResolveOptions } from './outside-trpc'
import { newRequestId } from './request-id'
import { createBackground } from './tasks/background'
import type { AnyTaskDefinition } from './tasks/define'
import type { BackgroundOptions, TasksControl } from './tasks/options'
import { createAdapterHooks, type OnErrorOptions, type ResponseMeta, type ResponseMetaOptions } from './trpc/adapter'
import { type CreateContextOptions, wrapContext } from './trpc/context'
import { createFormatters, type FormatterOptions } from './trpc/formatter'
import type { DeclaredDefinitionsShape, DefinitionsShape, RegisteredDeclaredShape, RegisteredShape } from './trpc/shape'

/**
 * A Faultline instance: wire `errorFormatter` into `initTRPC.create`, `adapter()` into the HTTP
 * adapter's options and `createContext(...)` around your context factory.
 */
export interface Faultline<TCatalog extends AnyCatalog, TRegistered extends boolean = isRegistered<TCatalog>> {
  /** The catalog this instance formats to. */
  readonly errors: TCatalog
  /** Which exposure is in force. */
  readonly expose: 'safe' | 'debug'
  /** tRPC's `errorFormatter`: turns every error into the catalog's envelope. */
  // each shape written out, not through an alias: tRPC's generics carry it through every builder
  // step, and an alias of a generic interface is walked anew at each (see BENCHMARKS.md)
  errorFormatter(
    opts: FormatterOptions,
  ): TRegistered extends true ? RegisteredShape : DefinitionsShape<inferDefinitions<TCatalog>>
  /**
   * Your own formatter over Faultline's shape, for `initTRPC.create({ errorFormatter })`: it may
   * add fields (keep `data.error`, which clients read the envelope from). It runs for every
   * error, declared ones included. One per instance.
   */
  formatter<TShape extends TRegistered extends true ? RegisteredShape : DefinitionsShape<inferDefinitions<TCatalog>>>(
    fn: (
      opts: Omit<FormatterOptions, 'shape'> & {
        shape: TRegistered extends true ? RegisteredShape : DefinitionsShape<inferDefinitions<TCatalog>>
      },
    ) => TShape,
  ): (opts: FormatterOptions) => TShape
  /**
   * Declares the catalog codes a procedure may throw, as the argument of tRPC's `.errors()`.
   * Clients then see exactly these codes plus the ones every procedure may send. An undeclared
   * code is still sent, marked `declared: false` and logged as a contract violation (or answered
   * as INTERNAL with `strict`). Put it before the steps whose errors it covers, like any
   * `.errors()`: a base procedure's declaration covers its middlewares.
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
    | undefined
  /** The adapter's `onError`: resolves (and logs) each failure, reading the request id from the request. */
  onError(opts: OnErrorOptions): void
  /** The adapter's `responseMeta`: request id header, and the headers errors carry (`WWW-Authenticate`, `Retry-After`). */
  responseMeta(opts: ResponseMetaOptions): ResponseMeta
  /**
   * The adapter options to spread into `createHTTPServer`, `fetchRequestHandler` and friends.
   * Pass your own `onError`/`responseMeta` to run them too.
   */
  adapter<TOnError extends (opts: never) => void, TMeta extends (opts: never) => ResponseMeta | undefined>(own?: {
    onError?: TOnError
    responseMeta?: TMeta
  }): { onError(opts: OnErrorOptions): void; responseMeta(opts: ResponseMetaOptions): ResponseMeta }
  /**
   * Wraps a context factory to give each request its scope and `requestId`: the incoming
   * `x-request-id` when it is short and safe, else a fresh one. It reaches the envelope, the
   * response header and every log line, even when the factory throws.
   */
  createContext<TOpts extends object, TCtx extends object = Record<never, never>>(
    inner?: (opts: TOpts) => TCtx | Promise<TCtx>,
    options?: CreateContextOptions,
  ): (opts: TOpts) => Promise<TCtx & { requestId: string }>
  /**
   * How many times each piece around a failure has failed (the logger, the report hook, an error
   * handler, another hook, the transformer, the task store or runner), and how many report calls
   * are still pending. Each fault was caught: every request still got its envelope.
   */
  faults(): Faults
  /** The envelope for any thrown value, outside tRPC (logged and reported once, like a request error). */
  toEnvelope(thrown: unknown, opts?: ResolveOptions): inferEnvelope<TCatalog>
  /**
   * An RFC 9457 `application/problem+json` answer for any thrown value, for surfaces outside tRPC
   * (errors before the tRPC handler, plain HTTP routes).
   */
  toProblem(thrown: unknown, opts?: ResolveOptions & { instance?: string }): ProblemResponse
}

/** A Faultline instance with background tasks: `createFaultline({ background: { tasks } })`. */
export interface FaultlineWithTasks<
  TCatalog extends AnyCatalog,
  TTasks extends readonly AnyTaskDefinition[],
  TRegistered extends boolean = isRegistered<TCatalog>,
> extends Faultline<TCatalog, TRegistered> {
  /** A procedure piece that gives each call `ctx.background`: `t.procedure.concat(fl.background)`. */
  readonly background: Built<TCatalog, TTasks>['piece']
  /** The tasks' status, watchers, drain and the failures seen (for tests). */
  readonly tasks: TasksControl
  /** A router to mount for clients: `status({ id })` and the `watch({ id })` subscription. */
  readonly taskRouter: Built<TCatalog, TTasks>['router']
}

type Built<TCatalog extends AnyCatalog, TTasks extends readonly AnyTaskDefinition[]> = ReturnType<
  typeof createBackground<TCatalog, TTasks>
>

/**
 * Creates the Faultline integration for a tRPC app.
 *
 * @example
 * const fl = createFaultline({ errors, transformer: superjson, logger })
 * const t = initTRPC.context<Ctx>().create({ transformer: superjson, errorFormatter: fl.errorFormatter })
 * createHTTPServer({ router, createContext: fl.createContext(createContext), ...fl.adapter() })
 */
export function createFaultline<TCatalog extends AnyCatalog, const TTasks extends readonly AnyTaskDefinition[]>(
  options: FaultlineOptions<TCatalog> & { background: BackgroundOptions<TTasks> },
): FaultlineWithTasks<TCatalog, TTasks>
export function createFaultline<TCatalog extends AnyCatalog>(
  options: FaultlineOptions<TCatalog> & { background?: undefined },
): Faultline<TCatalog>
export function createFaultline(
  options: FaultlineOptions<AnyCatalog> & { background?: BackgroundOptions<readonly AnyTaskDefinition[]> | undefined },
): unknown {
  const config = resolveConfig(options)
  const engine = createEngine(config)
  const formatters = createFormatters(engine, config, newRequestId)
  const hooks = createAdapterHooks(engine, config)
  const outside = createOutsideTRPC(engine, config)
  const background = options.background
    ? createBackground(engine, config, options.background, formatters.errorFormatter as never)
    : undefined
  const fl: Faultline<AnyCatalog, false> = {
    errors: options.errors,
    expose: config.expose,
    errorFormatter: formatters.errorFormatter as Faultline<AnyCatalog, false>['errorFormatter'],
    formatter: (fn) => formatters.compose(fn as never) as never,
    declare: (...codes) => formatters.declare(codes) as never,
    onError: hooks.onError,
    responseMeta: hooks.responseMeta,
    adapter: hooks.adapter,
    createContext: (inner, contextOpts = {}) => wrapContext(config, inner, contextOpts),
    faults: () => config.faults.snapshot(),
    toEnvelope: outside.toEnvelope as Faultline<AnyCatalog, false>['toEnvelope'],
    toProblem: outside.toProblem,
  }
  if (!background) return fl
  return { ...fl, background: background.piece, tasks: background.tasks, taskRouter: background.router }
}
