import type { AnyEnvelope } from '@faultline/contract'
import type { AnyTaskDefinition, RetryPolicy } from './define'
import type { TaskRecord } from './store'

/** What a carrier holds: string keys and values, so any queue carries it as JSON (W3C `traceparent`, …). */
export type TaskCarrier = Readonly<Record<string, string>>

/**
 * A task as a runner receives it: everything needed to run it, in this
 * process or in another one. Plain data, so a queue can carry it.
 */
export interface TaskJob {
  /** The id `enqueue` returned. */
  readonly id: string
  /** The name of its definition. */
  readonly task: string
  /** The payload as given to `enqueue` (the schema's input). It is checked again before each attempt. */
  readonly payload: unknown
  /** The request that queued it. */
  readonly requestId: string | undefined
  readonly createdAt: number
  /** What `taskContext.capture` returned as the task was queued (a trace's context); a queue carries it along. */
  readonly carrier?: TaskCarrier
}

/** How one attempt ended, as `TaskHost.attempt` tells a runner. */
export type AttemptOutcome =
  | { readonly status: 'succeeded' }
  | {
      readonly status: 'failed'
      /** The failure's envelope, already logged and reported. */
      readonly envelope: AnyEnvelope
      /** Whether to try again: the envelope is retryable and the task's policy has attempts left. */
      readonly retry: boolean
      /** When `retry`: the wait before the next attempt (exponential, full jitter, at least `retry.afterMs`). */
      readonly delayMs: number
    }
  /** The runner aborted the attempt (shutdown): nothing was resolved; the runner decides what it means. */
  | { readonly status: 'aborted' }
  /** The attempt failed, but its failure had been reported elsewhere already (its claim was refused): nothing was reported here. */
  | { readonly status: 'superseded' }

/**
 * What a Faultline instance gives the runner it was created with: the task definitions, the
 * attempt (run through its engine, so every failure, in whatever process, goes through the same
 * handlers, catalog, redaction, log and report), and its ledger, the one keeper of task records,
 * to which the runner reports each task's new state.
 */
export interface TaskHost {
  /** The task definitions, by name. */
  readonly definitions: ReadonlyMap<string, AnyTaskDefinition>
  /** A task's retry policy: its own, else the `background.retry` default, else 3 attempts from 200 ms up to 30 s. */
  retryPolicy(task: string): Required<RetryPolicy>
  /**
   * Runs one attempt (1 for the first): checks the payload against the task's schema, runs the
   * task with its timeout, and resolves a failure once, logged and reported with the request id
   * that queued the task, deciding whether and when to retry. When `signal` aborts first, the
   * attempt ends at once as `aborted`. A runner that may run one attempt twice (a queue re-delivering
   * a job whose worker froze) passes `claim`: asked before a failure is reported, it answers false
   * when this attempt's failure was reported already, and the attempt ends as `superseded`.
   */
  attempt(job: TaskJob, attempt: number, signal: AbortSignal, claim?: () => Promise<boolean>): Promise<AttemptOutcome>
  /**
   * Resolves a failure that is not an attempt's own (a lost worker, say): logged and reported
   * once, like any other. Returns its envelope.
   */
  fail(job: TaskJob, attempt: number, error: unknown): AnyEnvelope
  /**
   * Reports a task's new state. The ledger keeps the record and tells this process's watchers;
   * a promise when the record store is asynchronous.
   */
  transition(record: TaskRecord): Promise<void> | undefined
  /**
   * Reports a task the runner gave up on (a drain that timed out, a task it never handed on):
   * its failure is resolved as UNAVAILABLE and it is recorded `interrupted`, never silently lost.
   */
  interrupt(job: TaskJob, attempts: number): Promise<void> | undefined
  /** Logs a fault of the runner's own machinery (a connection, a queue), never a task's failure. */
  logInternal(message: string, cause: unknown, extra?: Record<string, unknown>): void
}

/**
 * Where committed tasks run: `inProcessRunner()` (the default) runs them in
 * this process; a queue runner such as `@faultline/bullmq` hands them to
 * workers elsewhere. Procedures enqueue the same way whichever runs them.
 */
export interface TaskRunner {
  /** Called once, by `createFaultline`. A runner serves one Faultline instance. */
  attach(host: TaskHost): void
  /** Checks a task as a procedure enqueues it; throw a `TypeError` to refuse it (a payload the runner cannot carry). */
  check?(job: TaskJob): void
  /**
   * When `enqueue` is called. `'after-response'` (the default): once the response has gone. A
   * runner that keeps tasks durably says `'before-response'`: `enqueue` is called as the call
   * succeeds and the call waits for it, so no response reports a task the runner does not hold.
   */
  readonly takes?: 'after-response' | 'before-response'
  /**
   * Takes the tasks of a call that succeeded (see `takes` for when). Resolves
   * when the runner is done with them here: finished, for a runner that runs
   * them; safely queued, for one that hands them on. This is what `waitUntil`
   * keeps a serverless invocation alive for. A rejection means the tasks were
   * not taken: after the response, they are marked failed with `UNAVAILABLE`;
   * before it, the call fails with `UNAVAILABLE` and its tasks are discarded.
   */
  enqueue(jobs: readonly TaskJob[]): Promise<void>
  /**
   * For a runner whose tasks' state lives elsewhere (a queue): a task's record, or `undefined`
   * when it does not know it. Without it, the ledger's records answer.
   */
  status?(id: string): TaskRecord | undefined | Promise<TaskRecord | undefined>
  /**
   * Waits for the work this process holds, at most `timeoutMs`; what has not finished by then is
   * aborted, reported through `host.interrupt` and listed.
   */
  drain(timeoutMs: number): Promise<DrainResult>
}

/** What `drain` reports. */
export interface DrainResult {
  /** Tasks that had not finished when the timeout passed, now interrupted. */
  interrupted: string[]
}
