import { type AnyEnvelope, FaultlineError } from '@faultline/contract'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { isPlainJson } from '../envelope'
import { describe } from '../inspect'
import { newRequestId, randomId } from '../request-id'
import type { Resolver } from '../resolver'
import { whenAborted } from './abort'
import type { AnyTaskDefinition, RetryPolicy, TaskContext } from './define'
import { inProcessRunner, interruption } from './in-process'
import type {
  AttemptOutcome,
  BackgroundOptions,
  DrainResult,
  TaskFailure,
  TaskHost,
  TaskJob,
  TaskRunner,
} from './runner'
import { memoryTaskStore, queuedRecord as record, type TaskRecord } from './store'

/** A task enqueued by a call, waiting for the call to succeed and its response to go. */
export class PreparedTask {
  state: 'prepared' | 'committed' | 'discarded' | 'interrupted' = 'prepared'
  // only a drain waits for a task to be handed over: the promise is made for it, not for every task
  #settled = false
  #waiting: (() => void)[] | undefined = undefined

  constructor(readonly job: TaskJob) {}

  /** Settles once the task has been handed to the runner or dropped. */
  handed(): Promise<void> {
    if (this.#settled) return Promise.resolve()
    return new Promise((resolve) => {
      this.#waiting ??= []
      this.#waiting.push(resolve)
    })
  }

  settle() {
    this.#settled = true
    for (const resolve of this.#waiting ?? []) resolve()
    this.#waiting = undefined
  }
}

const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 3, baseMs: 200, maxMs: 30_000 }

const ABORTED = Symbol('aborted')
const NOT_ABORTED = Symbol('not aborted')
/**
 * What a task's `run` is told about its attempt, and how the attempt aborts it. The signal is made
 * the first time the task reads it: an AbortController is among the dearest objects an attempt
 * would make, and most tasks never look at it. It is an own property, so a copy of the context
 * (`{ ...ctx, db }`) carries it too.
 */
function attemptContext(
  job: TaskJob,
  task: string,
  attempt: number,
): { context: TaskContext; abort: (reason: unknown) => void } {
  let controller: AbortController | undefined
  let abortedWith: unknown = NOT_ABORTED
  return {
    context: {
      taskId: job.id,
      task,
      attempt,
      requestId: job.requestId,
      get signal() {
        if (!controller) {
          controller = new AbortController()
          if (abortedWith !== NOT_ABORTED) controller.abort(abortedWith)
        }
        return controller.signal
      },
    },
    abort(reason) {
      if (abortedWith !== NOT_ABORTED) return
      abortedWith = reason
      controller?.abort(reason)
    },
  }
}

// a macrotask where there is one (not in every worker runtime)
const nextTurn: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0)

// failures() is for tests; a long-running process keeps only the latest
const MAX_FAILURES = 1_000

function checkPayload(def: AnyTaskDefinition, payload: unknown, where: string): unknown {
  const schema = def.payload as StandardSchemaV1 | undefined
  if (!schema) return payload
  const result = schema['~standard'].validate(payload)
  if (result instanceof Promise) {
    result.catch(() => {})
    throw new TypeError(
      `${where}: the payload schema of ${def.name} is async; task payload schemas must be synchronous`,
    )
  }
  if (result.issues) {
    const first = result.issues[0]
    const at = first?.path?.length
      ? ` at ${first.path.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')}`
      : ''
    throw new TypeError(`${where}: invalid payload for ${def.name}${at}: ${first?.message ?? 'rejected by its schema'}`)
  }
  return result.value
}

/**
 * What background tasks are, whatever runs them: checking and recording what
 * procedures enqueue, committing it to the runner once the response has gone,
 * running attempts through Faultline's engine (one envelope, one log line, one
 * report per failure, never an unhandled rejection), and answering for status.
 */
export function createTaskCore<TTasks extends readonly AnyTaskDefinition[]>(
  engine: Resolver,
  opts: BackgroundOptions<TTasks>,
) {
  const defs = new Map<string, AnyTaskDefinition>()
  for (const def of opts.tasks) {
    if (defs.has(def.name)) throw new TypeError(`background: two tasks are named ${def.name}`)
    defs.set(def.name, def)
  }
  const runner: TaskRunner =
    opts.runner ??
    inProcessRunner({
      ...(opts.store ? { store: opts.store } : {}),
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    })
  const retryDefaults = { ...DEFAULT_RETRY, ...opts.retry }
  // tasks the runner has not taken yet (not committed, or on their way): queued, for status
  const untaken = new Map<string, TaskJob>()
  // records of tasks the runner will never hold: it could not take them, or a drain interrupted them
  const local = memoryTaskStore()
  const prepared = new Set<PreparedTask>()
  const listeners = new Map<string, Set<(record: TaskRecord) => void>>()
  let failures: TaskFailure[] = []

  const changed = (record: TaskRecord) => {
    for (const listener of listeners.get(record.id) ?? []) {
      try {
        listener({ ...record })
      } catch (cause) {
        engine.fault('hook', cause, 'faultline: a task watcher threw', { taskId: record.id })
      }
    }
  }

  // each task's policy, resolved once: it is read at every failure
  const policies = new Map<string, Readonly<Required<RetryPolicy>>>()
  for (const [name, def] of defs) policies.set(name, Object.freeze({ ...retryDefaults, ...def.retry }))
  const unknownPolicy = Object.freeze({ ...retryDefaults })
  const retryPolicy = (task: string): Required<RetryPolicy> => policies.get(task) ?? unknownPolicy

  // the same handlers, catalog, log line and report as a request error; each call is one failure
  const fail = (job: TaskJob, attempt: number, thrown: unknown): { envelope: AnyEnvelope } => {
    const failure = engine.resolve(
      thrown,
      {
        source: 'task',
        path: job.task,
        type: 'task',
        ctx: undefined,
        input: job.payload,
        requestId: () => job.requestId ?? newRequestId(),
        extra: { taskId: job.id, task: job.task, attempt },
      },
      false,
    )
    failures.push({
      taskId: job.id,
      task: job.task,
      attempt,
      handled: failure.classified.handled,
      envelope: failure.envelope,
      error: thrown,
    })
    // trimmed in steps of MAX_FAILURES, not one entry a failure: shifting the whole list every
    // time made each task failure cost time in proportion to the list
    if (!opts.raiseUnexpected && failures.length >= 2 * MAX_FAILURES) failures = failures.slice(-MAX_FAILURES)
    return failure
  }

  const failed = (job: TaskJob, attempt: number, thrown: unknown): AttemptOutcome => {
    const { envelope } = fail(job, attempt, thrown)
    const policy = retryPolicy(job.task)
    const retry = envelope.retry.retryable && attempt < policy.attempts
    const backoff = retry ? Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)) : 0
    return { status: 'failed', envelope, retry, delayMs: retry ? Math.max(backoff, envelope.retry.afterMs ?? 0) : 0 }
  }

  const runAttempt = async (job: TaskJob, attempt: number, signal: AbortSignal): Promise<AttemptOutcome> => {
    const def = defs.get(job.task)
    if (!def) {
      const known = [...defs.keys()].join(', ')
      return failed(job, attempt, new TypeError(`no task is named ${JSON.stringify(job.task)} here; known: ${known}`))
    }
    let payload: unknown
    try {
      payload = checkPayload(def, job.payload, `task ${job.id}`)
    } catch (thrown) {
      return failed(job, attempt, thrown)
    }
    if (signal.aborted) return { status: 'aborted' }
    const { context, abort } = attemptContext(job, def.name, attempt)
    let timer: ReturnType<typeof setTimeout> | undefined
    let unwatch = () => {}
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let aborted = false
        unwatch = whenAborted(signal, () => {
          aborted = true
          abort(signal.reason)
          resolve(ABORTED)
        })
        // The work starts on a turn of its own, so its errors' stacks are its own: called in a
        // microtask of this chain, a task's error carried the frames of whatever drained the
        // microtasks and, through V8's async stack traces, this function's and the runner's,
        // none of which says anything about the task, and each of which made the stack dearer to
        // capture and to format. For the same reason the work's promise is followed with arrows,
        // not `.then(resolve, reject)`, which V8 follows on to whatever awaits this one. An
        // attempt that settles after its timeout or abort settles nothing more, and so is never
        // an unhandled rejection.
        nextTurn(() => {
          // aborted while waiting for its turn: it never starts
          if (aborted) return
          // the timeout counts the task's own time, not its wait for a turn
          if (def.timeoutMs) {
            timer = setTimeout(() => {
              const error = new FaultlineError({
                code: 'TIMEOUT',
                message: `Task ${def.name} timed out after ${def.timeoutMs} ms`,
                data: undefined,
              })
              abort(error)
              reject(error)
            }, def.timeoutMs)
          }
          let value: unknown
          try {
            value = def.run(payload, context)
          } catch (error) {
            reject(error)
            return
          }
          Promise.resolve(value).then(
            (v) => resolve(v),
            (error) => reject(error),
          )
        })
      })
      if (result === ABORTED) return { status: 'aborted' }
      return { status: 'succeeded' }
    } catch (thrown) {
      if (signal.aborted) return { status: 'aborted' }
      return failed(job, attempt, thrown)
    } finally {
      clearTimeout(timer)
      unwatch()
    }
  }

  const host: TaskHost = {
    definitions: defs,
    retryPolicy,
    attempt: runAttempt,
    fail: (job, attempt, error) => fail(job, attempt, error).envelope,
    changed,
    logInternal: (message, cause, extra) => engine.logInternal(message, cause, extra),
  }
  runner.attach(host)

  return {
    /** Checks and records a task, to commit once its call succeeds; throws on an unknown task or bad payload. */
    prepare(name: string, payload: unknown, requestId: string | undefined): PreparedTask {
      const def = defs.get(name)
      if (!def)
        throw new TypeError(`enqueue: no task is named ${JSON.stringify(name)}; known: ${[...defs.keys()].join(', ')}`)
      checkPayload(def, payload, 'enqueue')
      try {
        // plain JSON (or no payload) serializes with any transformer: only the rest is tried
        if (payload !== undefined && !isPlainJson(payload)) engine.serialize(payload)
      } catch (cause) {
        throw new TypeError(`enqueue: the payload of ${name} cannot be serialized: ${describe(cause).message}`)
      }
      const job: TaskJob = {
        id: randomId('task_'),
        task: name,
        payload,
        requestId,
        createdAt: Date.now(),
      }
      runner.check?.(job)
      const task = new PreparedTask(job)
      prepared.add(task)
      untaken.set(job.id, job)
      return task
    },
    /**
     * Hands the tasks of a call that succeeded to the runner. The promise
     * settles when the runner is done with them here, and never rejects.
     */
    commit(tasks: readonly PreparedTask[]): Promise<void> {
      const jobs: TaskJob[] = []
      for (const task of tasks) {
        if (task.state !== 'prepared') continue
        task.state = 'committed'
        prepared.delete(task)
        task.settle()
        jobs.push(task.job)
      }
      if (jobs.length === 0) return Promise.resolve()
      let taken: Promise<void>
      try {
        taken = Promise.resolve(runner.enqueue(jobs))
      } catch (cause) {
        taken = Promise.reject(cause)
      }
      return taken.then(
        () => {
          for (const job of jobs) untaken.delete(job.id)
        },
        (cause) => {
          engine.logInternal('faultline: the task runner could not take tasks', cause, {
            taskIds: jobs.map((j) => j.id),
          })
          for (const job of jobs) {
            const lost = new FaultlineError({
              code: 'UNAVAILABLE',
              message: `Task ${job.task} could not be queued`,
              data: undefined,
              cause,
            })
            const next = record(job, { status: 'failed', error: fail(job, 0, lost).envelope })
            local.set(next)
            untaken.delete(job.id)
            changed(next)
          }
        },
      )
    },
    /** Forgets a prepared task that will never run (its procedure failed). */
    discard(task: PreparedTask) {
      if (task.state !== 'prepared') return
      task.state = 'discarded'
      prepared.delete(task)
      untaken.delete(task.job.id)
      task.settle()
    },
    /** A task's record: from the runner, else from what this process knows of it. */
    async status(id: string): Promise<TaskRecord | undefined> {
      let found: TaskRecord | undefined
      try {
        found = (await runner.status(id)) ?? undefined
      } catch (cause) {
        engine.logInternal('faultline: could not read a task status', cause, { taskId: id })
        throw new FaultlineError({
          code: 'UNAVAILABLE',
          message: 'Task status is unavailable for now',
          data: undefined,
        })
      }
      if (found) return found
      const known = local.get(id)
      if (known) return known
      const job = untaken.get(id)
      return job ? record(job) : undefined
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
    /** Task failures seen in this process (every failed attempt; the latest 1,000 unless `raiseUnexpected` keeps them for `drain`), for tests to assert by code. */
    failures(): readonly TaskFailure[] {
      return failures.length > MAX_FAILURES ? failures.slice(-MAX_FAILURES) : failures
    },
    /**
     * Waits for queued and running tasks, at most `timeoutMs` (default 10 s).
     * Whatever has not finished by then is aborted and marked `interrupted`,
     * never silently lost. With `raiseUnexpected`, throws the crashes seen.
     */
    async drain(drainOpts: { timeoutMs?: number } = {}): Promise<DrainResult> {
      const timeoutMs = drainOpts.timeoutMs ?? 10_000
      const deadline = Date.now() + timeoutMs
      const interrupted: string[] = []
      // tasks of calls still running or whose response has not gone yet
      if (prepared.size > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined
        await Promise.race([
          Promise.all([...prepared].map((task) => task.handed())),
          new Promise((resolve) => {
            timer = setTimeout(resolve, timeoutMs)
          }),
        ])
        clearTimeout(timer)
        for (const task of prepared) {
          task.state = 'interrupted'
          prepared.delete(task)
          task.settle()
          const next = record(task.job, {
            status: 'interrupted',
            error: fail(task.job, 0, interruption(task.job.task)).envelope,
          })
          local.set(next)
          untaken.delete(task.job.id)
          changed(next)
          interrupted.push(task.job.id)
        }
      }
      try {
        const result = await runner.drain(Math.max(0, deadline - Date.now()))
        interrupted.push(...result.interrupted)
      } catch (cause) {
        engine.logInternal('faultline: the task runner failed to drain', cause)
      }
      if (opts.raiseUnexpected) {
        const crashes = failures.filter((f) => !f.handled)
        failures = failures.filter((f) => f.handled)
        if (crashes.length) {
          throw new AggregateError(
            crashes.map((c) => c.error),
            `${crashes.length} background task(s) failed unexpectedly: ${crashes.map((c) => `${c.task} (${c.envelope.code})`).join(', ')}`,
          )
        }
      }
      return { interrupted }
    },
  }
}

export type TaskCore = ReturnType<typeof createTaskCore>
