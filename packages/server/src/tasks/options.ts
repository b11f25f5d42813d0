import type { AnyEnvelope } from '@faultline/contract'
import type { AnyTaskDefinition, RetryPolicy } from './define'
import type { DrainResult, TaskRunner } from './runner'
import type { TaskRecord, TaskStore } from './store'

/** Options of background tasks, common to every runner. */
interface BackgroundBase<TTasks extends readonly AnyTaskDefinition[]> {
  /** The task definitions procedures may enqueue. */
  tasks: TTasks
  /**
   * Where task records are kept, for status: default `memoryTaskStore()`. A shared store lets
   * other processes answer for this process's tasks.
   */
  store?: TaskStore
  /** Retry policy for tasks that set none. */
  retry?: RetryPolicy
  /**
   * Test mode: `drain()` throws an AggregateError of unexpected task failures
   * (crashes), so a test fails loudly; expected ones stay assertable by code.
   */
  raiseUnexpected?: boolean
}

/** Options of background tasks: `createFaultline({ background: { tasks, ... } })`. */
export type BackgroundOptions<TTasks extends readonly AnyTaskDefinition[]> = BackgroundBase<TTasks> &
  (
    | {
        /** Runs tasks in this process (the default). */
        runner?: undefined
        /** Tasks the in-process runner runs at once; more wait their turn. Default 100. */
        concurrency?: number
      }
    | {
        /** Where committed tasks run: `inProcessRunner({ concurrency })`, a queue runner, … */
        runner: TaskRunner
        concurrency?: never
      }
  )

/** A task failure, as `failures()` lists it. */
export interface TaskFailure {
  taskId: string
  task: string
  attempt: number
  handled: boolean
  envelope: AnyEnvelope
  /** The value the task threw. */
  error: unknown
}

/** What `fl.tasks` offers: status, watching, draining, and the failures seen (for tests). */
export interface TasksControl {
  /** A task's record, or `undefined` for an id no one knows. */
  status(id: string): Promise<TaskRecord | undefined>
  /** Calls `listener` with each new state of a task; returns a function that stops it. */
  watch(id: string, listener: (record: TaskRecord) => void): () => void
  /**
   * Waits for queued and running tasks, at most `timeoutMs` (default 10 s). Whatever has not
   * finished by then is aborted and marked `interrupted`, never silently lost. With
   * `raiseUnexpected`, throws an AggregateError of the crashes seen.
   */
  drain(opts?: { timeoutMs?: number }): Promise<DrainResult>
  /** Task failures seen in this process (every failed attempt; the latest 1,000 unless `raiseUnexpected`). */
  failures(): readonly TaskFailure[]
}
