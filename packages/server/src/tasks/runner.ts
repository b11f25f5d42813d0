import { type AnyEnvelope, FaultlineError } from '@faultline/contract'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { describe } from '../inspect'
import { newRequestId } from '../request-id'
import type { Resolver } from '../resolver'
import type { AnyTaskDefinition, RetryPolicy } from './define'
import { isTerminal, memoryTaskStore, type TaskRecord, type TaskStore } from './store'

/** Options of the background task runner. */
export interface BackgroundOptions<TTasks extends readonly AnyTaskDefinition[]> {
  /** The task definitions procedures may enqueue. */
  tasks: TTasks
  /** Where task records live; default `memoryTaskStore()`. */
  store?: TaskStore
  /** Tasks running at once; more wait their turn. Default 100. */
  concurrency?: number
  /** Retry policy for tasks that set none. */
  retry?: RetryPolicy
  /**
   * Test mode: `drain()` throws an AggregateError of unexpected task failures
   * (crashes), so a test fails loudly; expected ones stay assertable by code.
   */
  raiseUnexpected?: boolean
}

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

/** What `drain` reports. */
export interface DrainResult {
  /** Tasks that had not finished when the timeout passed, now marked `interrupted`. */
  interrupted: string[]
}

/** A task checked and recorded by `enqueue`, waiting for its call to succeed and the response to go. */
export interface PreparedTask {
  record: TaskRecord
  def: AnyTaskDefinition
  payload: unknown
  controller: AbortController
  done: Promise<void>
  settle: () => void
}

const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 3, baseMs: 200, maxMs: 30_000 }

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

function validatePayload(def: AnyTaskDefinition, payload: unknown): unknown {
  const schema = def.payload as StandardSchemaV1 | undefined
  if (!schema) return payload
  const result = schema['~standard'].validate(payload)
  if (result instanceof Promise) {
    result.catch(() => {})
    throw new TypeError(`enqueue: the payload schema of ${def.name} is async; task payload schemas must be synchronous`)
  }
  if (result.issues) {
    const first = result.issues[0]
    const where = first?.path?.length
      ? ` at ${first.path.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')}`
      : ''
    throw new TypeError(
      `enqueue: invalid payload for ${def.name}${where}: ${first?.message ?? 'rejected by its schema'}`,
    )
  }
  return result.value
}

/**
 * Runs background tasks in this process, after the response has gone. Every
 * failure goes through the same handlers and catalog as a request error: one
 * envelope, one log line, one report; never an unhandled rejection.
 */
export function createTaskRunner<TTasks extends readonly AnyTaskDefinition[]>(
  engine: Resolver,
  serialize: (value: unknown) => unknown,
  opts: BackgroundOptions<TTasks>,
) {
  const defs = new Map<string, AnyTaskDefinition>()
  for (const def of opts.tasks) {
    if (defs.has(def.name)) throw new TypeError(`background: two tasks are named ${def.name}`)
    defs.set(def.name, def)
  }
  const store = opts.store ?? memoryTaskStore()
  const concurrency = opts.concurrency ?? 100
  const retryDefaults = { ...DEFAULT_RETRY, ...opts.retry }
  const jobs = new Map<string, PreparedTask>()
  const waiting: (() => void)[] = []
  const listeners = new Map<string, Set<(record: TaskRecord) => void>>()
  let failures: TaskFailure[] = []
  let running = 0

  const save = async (record: TaskRecord) => {
    record.updatedAt = Date.now()
    try {
      await store.set({ ...record })
    } catch (cause) {
      engine.logInternal('faultline: the task store failed to save a record', cause, { taskId: record.id })
    }
    for (const listener of listeners.get(record.id) ?? []) listener({ ...record })
  }

  const slot = async () => {
    if (running < concurrency) {
      running++
      return
    }
    await new Promise<void>((resolve) => waiting.push(resolve))
    running++
  }
  const release = () => {
    running--
    waiting.shift()?.()
  }

  // the same handlers, catalog, log line and report as a request error; each call is one failure
  const resolveFailure = (job: PreparedTask, thrown: unknown, attempt: number) => {
    const failure = engine.resolve(
      thrown,
      {
        source: 'task',
        path: job.def.name,
        type: 'task',
        ctx: undefined,
        input: job.payload,
        requestId: () => job.record.requestId ?? newRequestId(),
        extra: { taskId: job.record.id, task: job.def.name, attempt },
      },
      false,
    )
    failures.push({
      taskId: job.record.id,
      task: job.def.name,
      attempt,
      handled: failure.classified.handled,
      envelope: failure.envelope,
      error: thrown,
    })
    return failure
  }

  const attemptOnce = async (job: PreparedTask, attempt: number): Promise<unknown> => {
    const { def, record } = job
    const attemptController = new AbortController()
    const onAbort = () => attemptController.abort(job.controller.signal.reason)
    job.controller.signal.addEventListener('abort', onAbort, { once: true })
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const work = Promise.resolve().then(() =>
        def.run(job.payload, {
          taskId: record.id,
          task: def.name,
          attempt,
          requestId: record.requestId,
          signal: attemptController.signal,
        }),
      )
      // an attempt that settles after its timeout must not become an unhandled rejection
      work.catch(() => {})
      const timeout = def.timeoutMs
        ? new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const error = new FaultlineError({
                code: 'TIMEOUT',
                message: `Task ${def.name} timed out after ${def.timeoutMs} ms`,
                data: undefined,
              })
              attemptController.abort(error)
              reject(error)
            }, def.timeoutMs)
          })
        : undefined
      await (timeout ? Promise.race([work, timeout]) : work)
      return undefined
    } catch (thrown) {
      return { thrown }
    } finally {
      clearTimeout(timer)
      job.controller.signal.removeEventListener('abort', onAbort)
    }
  }

  const execute = async (job: PreparedTask) => {
    const { def, record } = job
    const policy = { ...retryDefaults, ...def.retry }
    await slot()
    try {
      for (let attempt = 1; ; attempt++) {
        if (job.controller.signal.aborted) return
        record.status = 'running'
        record.attempts = attempt
        await save(record)
        const outcome = (await attemptOnce(job, attempt)) as { thrown: unknown } | undefined
        if (job.controller.signal.aborted) return
        if (!outcome) {
          record.status = 'succeeded'
          delete record.error
          await save(record)
          return
        }
        const { envelope } = resolveFailure(job, outcome.thrown, attempt)
        record.error = envelope
        const retry = envelope.retry.retryable && attempt < policy.attempts
        if (!retry) {
          record.status = 'failed'
          await save(record)
          return
        }
        record.status = 'queued'
        await save(record)
        const backoff = Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1))
        await sleep(Math.max(backoff, envelope.retry.afterMs ?? 0), job.controller.signal)
      }
    } finally {
      release()
    }
  }

  const start = (job: PreparedTask) => {
    execute(job)
      .catch((cause) => engine.logInternal('faultline: a task could not be run', cause, { taskId: job.record.id }))
      .finally(() => {
        jobs.delete(job.record.id)
        job.settle()
      })
  }

  return {
    store,
    /** Checks and records a task, to start once `start` is called for it; throws on an unknown task or bad payload. */
    prepare(name: string, payload: unknown, requestId: string | undefined): PreparedTask {
      const def = defs.get(name)
      if (!def)
        throw new TypeError(`enqueue: no task is named ${JSON.stringify(name)}; known: ${[...defs.keys()].join(', ')}`)
      const value = validatePayload(def, payload)
      try {
        serialize(value)
      } catch (cause) {
        throw new TypeError(`enqueue: the payload of ${name} cannot be serialized: ${describe(cause).message}`)
      }
      const now = Date.now()
      let settle = () => {}
      const done = new Promise<void>((resolve) => {
        settle = resolve
      })
      const record: TaskRecord = {
        id: `task_${globalThis.crypto.randomUUID().replaceAll('-', '')}`,
        task: name,
        status: 'queued',
        attempts: 0,
        requestId,
        createdAt: now,
        updatedAt: now,
      }
      const job: PreparedTask = { record, def, payload: value, controller: new AbortController(), done, settle }
      jobs.set(record.id, job)
      void save(record)
      return job
    },
    start,
    /** Forgets a prepared task that will never run (its procedure failed). */
    discard(job: PreparedTask) {
      jobs.delete(job.record.id)
      job.settle()
      void Promise.resolve(store.delete(job.record.id)).catch(() => {})
    },
    /** A task's record, from the store. */
    async status(id: string): Promise<TaskRecord | undefined> {
      return (await store.get(id)) ?? undefined
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
    /** Task failures so far (every failed attempt), for tests to assert expected ones by code. */
    failures(): readonly TaskFailure[] {
      return failures
    },
    /**
     * Waits for queued and running tasks, at most `timeoutMs` (default 10 s).
     * Whatever has not finished by then is aborted and marked `interrupted`,
     * never silently lost. With `raiseUnexpected`, throws the crashes seen.
     */
    async drain(drainOpts: { timeoutMs?: number } = {}): Promise<DrainResult> {
      const timeoutMs = drainOpts.timeoutMs ?? 10_000
      const pending = [...jobs.values()]
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
      })
      const all = Promise.all(pending.map((job) => job.done)).then(() => 'done' as const)
      const outcome = await Promise.race([all, timedOut])
      clearTimeout(timer)
      const interrupted: string[] = []
      if (outcome === 'timeout') {
        for (const job of jobs.values()) {
          if (isTerminal(job.record.status)) continue
          job.controller.abort(new Error('drain timed out'))
          job.record.status = 'interrupted'
          const interruption = new FaultlineError({
            code: 'UNAVAILABLE',
            message: `Task ${job.def.name} was interrupted by shutdown before it finished`,
            data: undefined,
          })
          job.record.error = resolveFailure(job, interruption, job.record.attempts).envelope
          interrupted.push(job.record.id)
          await save(job.record)
          jobs.delete(job.record.id)
          job.settle()
        }
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

export type TaskRunner = ReturnType<typeof createTaskRunner>
