import type { AnyCatalog, FaultlineError, Issue } from '@faultline/contract'
import type { Handler, HandlerInfo } from './engine/handlers'
import type { Logger, ReportEvent } from './engine/log'
import type { TaskContextHooks } from './tasks/task-context'

export type { FailureSource, Logger, ReportEvent } from './engine/log'

/** How input-validation failures are answered. */
export interface ValidationOptions {
  /** HTTP status of `VALIDATION_FAILED`: 400 (default), 422, or another 4xx. */
  status?: number
  /** Replaces the mapping entirely: return a catalog error for the issues. */
  map?: (issues: Issue[], info: HandlerInfo) => FaultlineError
}

/** Options of `createFaultline`. */
export interface FaultlineOptions<TCatalog extends AnyCatalog> {
  /** The catalog from `defineErrors`. */
  errors: TCatalog
  /** Map thrown values to catalog errors; see `handle`. */
  handlers?: readonly Handler[]
  validation?: ValidationOptions
  /**
   * `safe` sends unexpected errors as a generic INTERNAL with no stack, cause or
   * input; `debug` adds them under `debug`. Default: `safe` when NODE_ENV is
   * `production`, else `debug`.
   */
  expose?: 'safe' | 'debug'
  /** Pino-compatible logger; `false` for none. Default: JSON lines on stderr. */
  logger?: Logger | false
  /** Called once per failure, for Sentry, OpenTelemetry and the like. May be async; its failures are logged, never thrown. */
  report?: (event: ReportEvent) => void | Promise<void>
  /** The transformer given to `initTRPC.create` (e.g. superjson), used to check error data can be sent. */
  transformer?: { serialize(value: unknown): unknown }
  /** Returns the active trace id (e.g. from OpenTelemetry) to put in envelopes and logs. */
  traceId?: () => string | undefined
  /**
   * What to do with a catalog error a procedure did not declare: by default it
   * is sent with `declared: false` and logged as a contract violation; `strict`
   * answers INTERNAL instead, so clients only ever see declared codes.
   */
  strict?: boolean
  /**
   * What clients see of a `TRPCError` thrown on purpose with a 4xx code (`NOT_FOUND`,
   * `FORBIDDEN`, …) and a message of its own: `keep` (the default) sends that message, as stock
   * tRPC does; `redact` sends the catalog's message for the code. 5xx TRPCErrors and unknown
   * errors never send their own message in `safe` exposure.
   */
  trpcMessages?: 'keep' | 'redact'
  /** Header to read and write request ids; default `x-request-id`. */
  requestIdHeader?: string
  /**
   * Carries context (a trace) from the request that queues a background task to each attempt
   * that runs it, across processes too: `capture` runs as the task is queued, `around` wraps each
   * attempt. `@faultline/otel` fills it in.
   */
  taskContext?: TaskContextHooks
}
