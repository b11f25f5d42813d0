import { type AnyEnvelope, FaultlineError } from '@faultline/contract'
import type { Engine } from '../engine/engine'
import { newRequestId } from '../request-id'
import { interruption } from './attempt'
import type { TaskFailure } from './options'
import type { TaskJob, TaskRunner } from './runner'
import { memoryTaskStore, queuedRecord, type TaskRecord, type TaskStore } from './store'

// failures() is for tests; a long-running process keeps only the latest
const MAX_FAILURES = 1_000

/**
 * The one keeper of an instance's task records. Runners report each task's new state to it; it
 * writes the record, tells watchers, and resolves every task failure through the engine (one
 * envelope, one log line, one report). It answers for status: the runner's own record where the
 * runner keeps them (a queue), else its store, else the job of a task not yet taken.
 */
export function createLedger(opts: {
  engine: Engine
  runner: TaskRunner
  store: TaskStore | undefined
  /** Keep every failure until `takeCrashes` (test mode), not only the latest. */
  keepFailures: boolean
}) {
  const { engine, runner } = opts
  const store = opts.store ?? memoryTaskStore()
  // the memory store made here copies what it keeps; a store given may keep the object it is given
  const copyOnSave = opts.store !== undefined
  // tasks prepared or committed that no record speaks for yet: `queued`, for status
  const untaken = new Map<string, TaskJob>()
  const listeners = new Map<string, Set<(record: TaskRecord) => void>>()
  let failures: TaskFailure[] = []

  const notify = (record: TaskRecord) => {
    for (const listener of listeners.get(record.id) ?? []) {
      try {
        listener({ ...record })
      } catch (cause) {
        engine.fault('hook', cause, 'faultline: a task watcher threw', { taskId: record.id })
      }
    }
  }

  const saveFailed = (record: TaskRecord, cause: unknown) =>
    engine.fault('tasks', cause, 'faultline: the task store failed to save a record', { taskId: record.id })

  /** Writes a record and tells watchers; a promise only when the store's write is one. */
  // a task stays `queued` from its job until the store holds a record of it, however slow the write
  const saved = (record: TaskRecord) => {
    untaken.delete(record.id)
    notify(record)
  }
  const transition = (record: TaskRecord): Promise<void> | undefined => {
    let saving: Promise<void> | undefined | void
    try {
      saving = store.set(copyOnSave ? { ...record } : record)
    } catch (cause) {
      saveFailed(record, cause)
      notify(record)
      return undefined
    }
    if (saving && typeof saving.then === 'function') {
      return saving.then(
        () => saved(record),
        (cause) => {
          saveFailed(record, cause)
          notify(record)
        },
      )
    }
    saved(record)
    return undefined
  }

  /** Resolves a task's failure through the engine, each call a failure of its own; returns its envelope. */
  const fail = (job: TaskJob, attempt: number, thrown: unknown): AnyEnvelope => {
    const failure = engine.resolveAlone(
      thrown,
      {
        source: 'task',
        path: job.task,
        type: 'task',
        ctx: undefined,
        input: job.payload,
        extra: { taskId: job.id, task: job.task, attempt },
      },
      job.requestId ?? newRequestId(),
    )
    const { envelope } = failure
    failures.push({
      taskId: job.id,
      task: job.task,
      attempt,
      handled: failure.classified.handled,
      envelope,
      error: thrown,
    })
    // trimmed in steps, not one entry a failure: shifting the whole list each time costs in proportion to it
    if (!opts.keepFailures && failures.length >= 2 * MAX_FAILURES) failures = failures.slice(-MAX_FAILURES)
    return envelope
  }

  return {
    fail,
    transition,
    /** A task the runner or a drain gave up on: its failure resolved as UNAVAILABLE, its record `interrupted`. */
    interrupt(job: TaskJob, attempts: number): Promise<void> | undefined {
      const error = fail(job, attempts, interruption(job.task))
      return transition(queuedRecord(job, { status: 'interrupted', attempts, error }))
    },
    /** Tasks the runner could not take: each failed as UNAVAILABLE. */
    notTaken(jobs: readonly TaskJob[], cause: unknown): void {
      engine.fault('tasks', cause, 'faultline: the task runner could not take tasks', {
        taskIds: jobs.map((j) => j.id),
      })
      for (const job of jobs) {
        const lost = new FaultlineError({
          code: 'UNAVAILABLE',
          message: `Task ${job.task} could not be queued`,
          data: undefined,
          cause,
        })
        void transition(queuedRecord(job, { status: 'failed', error: fail(job, 0, lost) }))
      }
    },
    /** A task was prepared: until a record speaks for it, it is `queued`. */
    prepared(job: TaskJob): void {
      untaken.set(job.id, job)
    },
    /** A prepared task will never run (its call failed), or the runner holds it now. */
    forget(id: string): void {
      untaken.delete(id)
    },
    /** A task's record: the runner's, else the store's, else `queued` for a task not taken yet. */
    async get(id: string): Promise<TaskRecord | undefined> {
      let found: TaskRecord | undefined
      try {
        found = (await runner.status?.(id)) ?? (await store.get(id)) ?? undefined
      } catch (cause) {
        engine.fault('tasks', cause, 'faultline: could not read a task status', { taskId: id })
        throw new FaultlineError({
          code: 'UNAVAILABLE',
          message: 'Task status is unavailable for now',
          data: undefined,
        })
      }
      if (found) return found
      const job = untaken.get(id)
      return job ? queuedRecord(job) : undefined
    },
    /** Calls `listener` with each new state of a task; returns a function that stops it. */
    watch(id: string, listener: (record: TaskRecord) => void): () => void {
      const set = listeners.get(id) ?? new Set()
      set.add(listener)
      listeners.set(id, set)
      return () => {
        set.delete(listener)
        if (set.size === 0) listeners.delete(id)
      }
    },
    /** Task failures seen in this process, the latest 1,000 (all of them in test mode). */
    failures(): readonly TaskFailure[] {
      return failures.length > MAX_FAILURES ? failures.slice(-MAX_FAILURES) : failures
    },
    /** The crashes seen since the last call, taken out of `failures()`. */
    takeCrashes(): TaskFailure[] {
      const crashes = failures.filter((f) => !f.handled)
      failures = failures.filter((f) => f.handled)
      return crashes
    },
  }
}

export type Ledger = ReturnType<typeof createLedger>
