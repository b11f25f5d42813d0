import { type AnyCatalog, type AnyEnvelope, IMPLICIT_CODES } from '@faultline/contract'
import { type Classified, type ClassifyConfig, classify, internal, isTRPCError } from './classify'
import { buildFailure, type Failure } from './failure'
import type { FaultCounter, FaultKind } from './faults'
import type { HandlerInfo } from './handlers'
import { describe, safeGet } from './inspect'
import { emit, type FailureOrigin, type Logger, type ReportEvent } from './log'
import type { RequestScope, ScopedFailure } from './scope'

/** What the engine is built from: the resolved options of `createFaultline` (see `config.ts`). */
export interface EngineConfig {
  readonly catalog: AnyCatalog
  readonly classify: ClassifyConfig
  readonly validationStatus: number
  readonly expose: 'safe' | 'debug'
  readonly strict: boolean
  /** Guarded: a throw is counted, never raised. */
  readonly logger: Logger | undefined
  readonly report: ((event: ReportEvent) => void | Promise<void>) | undefined
  readonly faults: FaultCounter
  readonly requestIdHeader: string
  /** The transformer's `serialize`, or JSON's: what error data must survive. */
  readonly serialize: (value: unknown) => unknown
  readonly traceId: (() => string | undefined) | undefined
}

/** Where a failure happened: what handlers, the envelope's `debug`, the log line and the report learn. */
export interface FailureSite extends FailureOrigin, HandlerInfo {
  type: HandlerInfo['type']
  input: unknown
}

const IMPLICIT: ReadonlySet<string> = new Set(IMPLICIT_CODES)

/**
 * What a failure is remembered under in its scope. tRPC wraps a value it does not know in a new
 * `TRPCError` wherever it meets it, so two hooks may get two wrappers of one thrown value: the
 * value itself is the key.
 */
function failureKey(error: unknown): unknown {
  if (!isTRPCError(error) || error.code !== 'INTERNAL_SERVER_ERROR') return error
  const cause = safeGet(error, 'cause')
  return typeof cause === 'object' && cause !== null && !isTRPCError(cause) ? cause : error
}

/**
 * Whether a procedure's declarations cover a code: `true` or `false` once any declaration saw the
 * failure, `undefined` when none did or the code is one every procedure may send.
 */
export function declaredVerdict(code: string, declaredBy: ReadonlySet<string> | undefined): boolean | undefined {
  if (!declaredBy || IMPLICIT.has(code)) return undefined
  return declaredBy.has(code)
}

/**
 * The error engine: classifies a thrown value, runs the handlers, builds its envelope, and logs
 * and reports it exactly once. Within a request it works through the request's scope; outside
 * one (`toEnvelope`, a task's attempt) each call is a failure of its own.
 */
export function createEngine(cfg: EngineConfig) {
  const traceId = (): string | undefined => {
    try {
      return cfg.traceId?.()
    } catch (cause) {
      cfg.faults.note('hook', cause)
      return undefined
    }
  }

  /** The envelope of an error the engine itself could not format: INTERNAL, nothing else said. */
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
      cfg.logger?.error({ error: describe(cause, true), requestId }, 'faultline: failed to format an error')
    } catch {
      // nothing left to tell
    }
    return { envelope, trpc: 'INTERNAL_SERVER_ERROR', headers: {}, classified: c }
  }

  /** Builds, logs and reports a classified failure; `declaredBy` judges it against the procedure's declarations. */
  const build = (
    classified: Classified,
    declaredBy: ReadonlySet<string> | undefined,
    site: FailureSite,
    requestId: string,
  ): Failure => {
    try {
      let c = classified
      if (c.handlerFault) cfg.faults.note('handler', c.handlerFault.cause)
      if (declaredVerdict(c.code, declaredBy) === false) {
        const reason = `${c.code} is not declared by ${site.path ?? 'this procedure'}`
        c = cfg.strict
          ? internal(cfg.classify, c.original, `contract violation: ${reason}`)
          : { ...c, violation: reason }
      }
      const failure = buildFailure(c, {
        catalog: cfg.catalog,
        validationStatus: cfg.validationStatus,
        expose: cfg.expose,
        serialize: (value) => {
          try {
            return cfg.serialize(value)
          } catch (cause) {
            cfg.faults.note('transformer', cause)
            throw cause
          }
        },
        serializeInput: cfg.serialize,
        requestId,
        requestIdHeader: cfg.requestIdHeader,
        traceId: traceId(),
        input: site.input,
      })
      emit(cfg.logger, cfg.report, failure.classified, failure.envelope, site)
      return failure
    } catch (cause) {
      return lastResort(cause, requestId)
    }
  }

  /** A thrown value's entry in its request's scope, classified the first time it is seen. */
  const seen = (scope: RequestScope, thrown: unknown, site: HandlerInfo): ScopedFailure => {
    const key = failureKey(thrown)
    scope.failures ??= new WeakMap()
    let entry = typeof key === 'object' && key !== null ? scope.failures.get(key) : undefined
    if (!entry) {
      entry = { classified: classify(cfg.classify, thrown, site), declaredBy: undefined, failure: undefined }
      // tRPC's hooks always pass an error object; anything else is a failure of its own each time
      if (typeof key === 'object' && key !== null) scope.failures.set(key, entry)
    }
    return entry
  }

  return {
    seen,
    /** A thrown value's failure in its request: resolved by the first hook that asks, the same for every later one. */
    resolve(scope: RequestScope, thrown: unknown, site: FailureSite): ScopedFailure & { failure: Failure } {
      const entry = seen(scope, thrown, site)
      entry.failure ??= build(entry.classified, entry.declaredBy, site, scope.requestId)
      return entry as ScopedFailure & { failure: Failure }
    },
    /** A failure of its own, outside any request's scope: each call is logged and reported. */
    resolveAlone(thrown: unknown, site: FailureSite, requestId: string): Failure {
      return build(classify(cfg.classify, thrown, site), undefined, site, requestId)
    },
    lastResort,
    /** Counts a fault of an app's piece or of the task machinery, and logs `msg` when given; see `Faults`. */
    fault(kind: FaultKind, cause: unknown, msg?: string, extra: Record<string, unknown> = {}): void {
      cfg.faults.note(kind, cause)
      if (msg) cfg.logger?.error({ ...extra, error: describe(cause, true) }, msg)
    },
  }
}

export type Engine = ReturnType<typeof createEngine>
