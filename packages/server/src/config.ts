import type { AnyCatalog } from '@faultline/contract'
import type { EngineConfig } from './engine/engine'
import { createFaultCounter } from './engine/faults'
import { indexHandlers } from './engine/handlers'
import { describe } from './engine/inspect'
import { createConsoleLogger } from './engine/log'
import type { FaultlineOptions } from './options'
import { isHeaderName, REQUEST_ID_HEADER } from './request-id'
import type { TaskContextHooks } from './tasks/task-context'

/** The options of `createFaultline`, checked and resolved once. */
export interface Config extends EngineConfig {
  /** The transformer given to `initTRPC.create`, if any. */
  readonly transformer: { serialize(value: unknown): unknown } | undefined
  /** Carries context from where tasks are queued to where they run. */
  readonly taskContext: TaskContextHooks | undefined
}

function currentNodeEnv(): string | undefined {
  // spelled out so a bundler's define for `process.env.NODE_ENV` replaces it; it throws where
  // there is no `process` at run time (Cloudflare Workers) and nothing replaced it
  try {
    return process.env.NODE_ENV
  } catch {
    return undefined
  }
}

/**
 * Checks `createFaultline`'s options and resolves their defaults into one frozen config; a bad
 * option fails here, at startup, with a message naming it.
 */
export function resolveConfig<TCatalog extends AnyCatalog>(options: FaultlineOptions<TCatalog>): Config {
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
  const trpcMessages = options.trpcMessages ?? 'keep'
  if (trpcMessages !== 'keep' && trpcMessages !== 'redact') {
    throw new TypeError(`createFaultline: trpcMessages must be 'keep' or 'redact'; got ${String(trpcMessages)}`)
  }
  const requestIdHeader = (options.requestIdHeader ?? REQUEST_ID_HEADER).toLowerCase()
  if (!isHeaderName(requestIdHeader)) {
    throw new TypeError(
      `createFaultline: requestIdHeader ${JSON.stringify(requestIdHeader)} is not a valid header name`,
    )
  }
  const { transformer, taskContext } = options
  if (transformer) checkTransformer(transformer)
  if (taskContext !== undefined) checkTaskContext(taskContext)
  const faults = createFaultCounter()
  return Object.freeze({
    catalog: options.errors,
    classify: Object.freeze({
      catalog: options.errors,
      handlers: indexHandlers(options.handlers ?? []),
      validationStatus,
      mapValidation: options.validation?.map,
      trpcMessages,
    }),
    validationStatus,
    expose,
    strict: options.strict ?? false,
    // a throwing logger is counted and never breaks an answer
    logger: options.logger === false ? undefined : faults.guardLogger(options.logger ?? createConsoleLogger()),
    report: options.report && faults.countReport(options.report),
    faults,
    requestIdHeader,
    serialize: transformer ? (v: unknown) => transformer.serialize(v) : (v: unknown) => JSON.stringify(v),
    traceId: options.traceId,
    transformer,
    taskContext,
  })
}

/**
 * Fails at startup when the transformer cannot serialize even a plain error response: tRPC could
 * then answer no request (its node adapter leaves the request open and its exception handler
 * rejects unhandled).
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

/** Fails at startup when `taskContext` is not an object of the two optional hooks. */
function checkTaskContext(hooks: TaskContextHooks): void {
  if (typeof hooks !== 'object' || hooks === null) {
    throw new TypeError(`createFaultline: taskContext must be an object of { capture, around }; got ${String(hooks)}`)
  }
  for (const name of ['capture', 'around'] as const) {
    const hook: unknown = hooks[name]
    if (hook !== undefined && typeof hook !== 'function') {
      throw new TypeError(`createFaultline: taskContext.${name} must be a function; got ${typeof hook}`)
    }
  }
}
