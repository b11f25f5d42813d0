import type { AnyEnvelope } from '@faultline/contract'
import type { DrainResult, TaskHost } from '@faultline/server/runner'
import { type ConnectionOptions, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq'
import { reportClaimer } from './report-claim'
import type { BullmqRunner } from './runner'
import {
  BACKOFF_TYPE,
  internals,
  interrupted,
  lostWorker,
  recordOf,
  type TaskJobData,
  type TaskQueueJob,
  taskOf,
} from './shared'

/** Options of `startWorker`: BullMQ's worker options, less those Faultline sets itself. */
export type StartWorkerOptions = Omit<
  WorkerOptions,
  | 'connection'
  | 'prefix'
  | 'autorun'
  | 'settings'
  | 'useWorkerThreads'
  | 'workerForkOptions'
  | 'workerThreadsOptions'
  | 'removeOnComplete'
  | 'removeOnFail'
> & {
  /** Tasks this worker runs at once. Default 10. */
  concurrency?: number
  /** A Redis connection of its own; default the runner's. */
  connection?: ConnectionOptions
}

/** A running worker. */
export interface FaultlineWorker {
  /** The BullMQ worker. */
  readonly worker: Worker<TaskJobData, unknown, string>
  /** Resolves once the worker is connected and taking tasks. */
  ready(): Promise<void>
  /**
   * Stops taking tasks and waits for the running ones, at most `timeoutMs`
   * (default 10 s). Those still running then are aborted: each is recorded
   * with an `UNAVAILABLE` envelope, logged and reported once, and goes back
   * to the queue for another worker while it has attempts left (else it ends
   * `interrupted`). Nothing is lost. Then closes the worker's connections.
   */
  close(opts?: { timeoutMs?: number }): Promise<DrainResult>
}

/** How an attempt failed, thrown to BullMQ: `delayMs` is its backoff. Its message is the envelope's code and message. */
class AttemptFailed extends Error {
  constructor(
    envelope: AnyEnvelope,
    readonly delayMs: number,
  ) {
    super(`${envelope.code}: ${envelope.message}`)
    this.name = 'AttemptFailed'
    // the real stack is in Faultline's log; the job keeps only what is safe to show
    this.stack = `${this.name}: ${this.message}`
  }
}

/** An attempt whose failure another worker reported first: it had lost the job already. */
class Superseded extends Error {
  constructor(task: string) {
    super(`Task ${task}: this attempt's failure was reported by another worker, which has the job now`)
    this.name = 'Superseded'
    this.stack = `${this.name}: ${this.message}`
  }
}

/**
 * Runs the tasks of a runner's queue in this process, through the Faultline
 * instance the runner was given to (its task definitions, handlers, catalog,
 * logger and report). Each failure is logged and reported once, with the
 * request id that queued the task, and its envelope is stored on the job.
 * Retries use BullMQ's attempts and backoff, driven by the envelope:
 * retryable failures wait (exponential, full jitter, at least its
 * `retry.afterMs`); others fail at once (`UnrecoverableError`). A worker that
 * dies mid-task leaves its job to BullMQ's stalled-job check, which puts it
 * back; the lost attempt is reported when the job runs again.
 *
 * @example
 * const fl = createFaultline({ errors, handlers, logger, background: { tasks, runner } })
 * const worker = startWorker(runner, { concurrency: 20 })
 * process.on('SIGTERM', async () => { await worker.close({ timeoutMs: 10_000 }); process.exit(0) })
 */
export function startWorker(runner: BullmqRunner, opts: StartWorkerOptions = {}): FaultlineWorker {
  const inner = internals.get(runner)
  if (!inner) throw new TypeError('startWorker: expects a runner made by createBullmqRunner')
  const host: TaskHost = inner.host()
  const { connection, concurrency, ...rest } = opts
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new TypeError(`startWorker: concurrency must be a whole number of at least 1; got ${concurrency}`)
  }
  // the attempts running here, to abort on close
  const active = new Map<string, AbortController>()
  // errors this worker threw for its own failures; anything else failing a job is foreign
  const ours = new WeakSet<Error>()

  const record = async (job: TaskQueueJob, patch: Partial<TaskJobData>) => {
    const data: TaskJobData = { ...job.data, failedAt: Date.now(), ...patch }
    try {
      await job.updateData(data)
    } catch (cause) {
      job.data = data
      host.logInternal('faultline: could not record a task failure on its job', cause, { taskId: job.id })
    }
  }

  // each attempt's failure is reported by one worker only, whichever claims it first
  const claim = reportClaimer(
    { getBackend: () => worker.getBackend(), toKey: (type) => worker.toKey(type) },
    (cause, job) =>
      host.logInternal('faultline: could not claim a task failure; it is reported here', cause, { taskId: job.id }),
  )
  const superseded = (job: TaskQueueJob) => {
    const error = new Superseded(job.name)
    ours.add(error)
    return error
  }

  const processor = async (job: TaskQueueJob, _token?: string, signal?: AbortSignal): Promise<undefined> => {
    const task = taskOf(job)
    const attempt = Math.max(1, job.attemptsStarted)
    // the attempt before this one started and never ended: its worker was lost mid-task
    if (attempt > 1 && job.data.errorAttempt !== attempt - 1 && (await claim(job, attempt - 1))) {
      const error = host.fail(task, attempt - 1, lostWorker(job.name))
      await record(job, { error, errorAttempt: attempt - 1, interrupted: false })
    }
    const controller = new AbortController()
    const onAbort = () => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    active.set(task.id, controller)
    void host.transition(recordOf(job, 'active', Date.now()))
    try {
      const outcome = await host.attempt(task, attempt, controller.signal, () => claim(job, attempt))
      if (outcome.status === 'succeeded') return undefined
      if (outcome.status === 'superseded') throw superseded(job)
      let envelope: AnyEnvelope
      let retry: boolean
      let delayMs = 0
      if (outcome.status === 'aborted') {
        if (!(await claim(job, attempt))) throw superseded(job)
        envelope = host.fail(task, attempt, interrupted(job.name))
        retry = attempt < host.retryPolicy(job.name).attempts
      } else {
        envelope = outcome.envelope
        retry = outcome.retry
        delayMs = outcome.delayMs
      }
      const wasInterrupted = outcome.status === 'aborted'
      await record(job, { error: envelope, errorAttempt: attempt, interrupted: wasInterrupted })
      const error = retry
        ? new AttemptFailed(envelope, delayMs)
        : new UnrecoverableError(`${envelope.code}: ${envelope.message}`)
      if (!retry) error.stack = `${error.name}: ${error.message}`
      ours.add(error)
      throw error
    } finally {
      active.delete(task.id)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  const worker = new Worker<TaskJobData, unknown, string>(inner.queueName, processor, {
    ...rest,
    connection: connection ?? inner.connection,
    ...(inner.prefix === undefined ? {} : { prefix: inner.prefix }),
    concurrency: concurrency ?? 10,
    autorun: true,
    settings: {
      backoffStrategy: (_attemptsMade, type, err) =>
        type === BACKOFF_TYPE && err instanceof AttemptFailed ? Math.round(err.delayMs) : 0,
    },
  })

  worker.on('error', (cause) =>
    host.logInternal('faultline: the BullMQ worker failed', cause, { queue: inner.queueName }),
  )
  worker.on('completed', (job) => void host.transition(recordOf(job, 'completed', Date.now())))
  worker.on('failed', (job, err) => {
    if (!job) return
    if (err instanceof Superseded) return
    if (ours.has(err)) {
      const state = err instanceof AttemptFailed ? 'delayed' : 'failed'
      void host.transition(recordOf(job, state, Date.now()))
      return
    }
    // failed by BullMQ itself (stalled too many times, started too often): record it once, here.
    // BullMQ fails such a job as it picks it up again, before any processor runs: a start that
    // never ran, so the attempt lost is the one before it
    void (async () => {
      const attempt = Math.max(1, job.attemptsStarted - 1)
      // recorded already: that attempt failed on its own and was reported then
      if (job.data.errorAttempt !== attempt && (await claim(job, attempt))) {
        const error = host.fail(taskOf(job), attempt, lostWorker(job.name, err))
        await record(job, { error, errorAttempt: attempt, interrupted: false })
      }
      void host.transition(recordOf(job, 'failed', Date.now()))
    })()
  })

  return {
    worker,
    async ready() {
      await worker.waitUntilReady()
    },
    async close(closeOpts = {}) {
      const timeoutMs = closeOpts.timeoutMs ?? 10_000
      const closing = worker.close()
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
      })
      const outcome = await Promise.race([closing.then(() => 'closed' as const), timedOut])
      clearTimeout(timer)
      const stopped: string[] = []
      if (outcome === 'timeout') {
        for (const [id, controller] of active) {
          stopped.push(id)
          controller.abort(new Error('worker closed'))
        }
        await closing
      }
      return { interrupted: stopped }
    },
  }
}
