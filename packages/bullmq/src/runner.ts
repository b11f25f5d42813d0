import type { DrainResult, TaskHost, TaskJob, TaskRecord, TaskRunner } from '@faultline/server/runner'
import { type ConnectionOptions, isRedisInstance, type JobsOptions, Queue } from 'bullmq'
import { createJobAdder, type JobEntry } from './durable-add'
import { BACKOFF_TYPE, internals, jsonProblem, recordOf, type TaskJobData, type TaskQueue } from './shared'

/** Options of `createBullmqRunner`. */
export interface BullmqRunnerOptions {
  /** How to reach Redis: ioredis options (`{ host, port }`, `{ url }`) or an ioredis instance. */
  connection: ConnectionOptions
  /** The queue's name; API processes and workers must agree on it. Default `faultline-tasks`. */
  queueName?: string
  /** Prefix of the queue's Redis keys. Default BullMQ's own (`bull`). */
  prefix?: string
  /**
   * How long finished tasks (and so their status) stay in Redis: at most
   * `maxEntries` succeeded and as many failed, none older than `maxAgeMs`.
   * Default 10,000 and one hour, like `memoryTaskStore()`.
   */
  retention?: { maxEntries?: number; maxAgeMs?: number }
  /**
   * When a call's tasks are added to Redis. `'before-response'` (the default): as the call
   * succeeds, and its response waits for Redis to hold them, so a response that reports a task
   * queued survives this process dying; a call whose tasks Redis cannot take is answered
   * `UNAVAILABLE`. `'after-response'`: once the response has gone, which answers the call one
   * Redis round trip sooner;
   * a task whose add fails is then reported as failed, and one held when this process dies is lost.
   */
  durability?: 'before-response' | 'after-response'
  /**
   * How long an add keeps trying while Redis is unreachable before it gives up. Default 2,000 ms.
   */
  enqueueTimeoutMs?: number
}

/** Background tasks on a BullMQ queue: what procedures enqueue runs on workers (`startWorker`), anywhere. */
export interface BullmqRunner extends TaskRunner {
  /** The BullMQ queue tasks go to, for dashboards and inspection. Job ids are task ids. */
  readonly queue: TaskQueue
  /**
   * Resolves once this process has no task on its way to Redis and the queue
   * has nothing waiting, delayed or running; rejects after `timeoutMs`
   * (default 30 s). For tests and scripts.
   */
  idle(opts?: { timeoutMs?: number }): Promise<void>
  /** Closes the queue's connections. Call it after `fl.tasks.drain()`. */
  close(): Promise<void>
}

const COUNTED = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children'] as const

/**
 * A task runner backed by BullMQ on Redis. Procedures enqueue exactly as with
 * the in-process runner; the job is added once the call has succeeded, before
 * its response goes (`durability`). Workers (`startWorker`) run the same task definitions
 * through the same Faultline engine, and record each failure's envelope on
 * its job, so any process serves status through `fl.taskRouter`.
 *
 * @example
 * const runner = createBullmqRunner({ connection: { url: process.env.REDIS_URL } })
 * const fl = createFaultline({ errors, background: { tasks: [sendReceipt], runner } })
 * // in the worker process, after the same createFaultline:
 * const worker = startWorker(runner, { concurrency: 20 })
 */
export function createBullmqRunner(opts: BullmqRunnerOptions): BullmqRunner {
  if (!opts || typeof opts.connection !== 'object' || opts.connection === null) {
    throw new TypeError('createBullmqRunner: `connection` is required: ioredis options ({ host, port }) or an instance')
  }
  const queueName = opts.queueName ?? 'faultline-tasks'
  if (typeof queueName !== 'string' || queueName.length === 0 || queueName.includes(':')) {
    throw new TypeError(`createBullmqRunner: queueName must be a non-empty string without ':'; got ${queueName}`)
  }
  const maxEntries = opts.retention?.maxEntries ?? 10_000
  const maxAgeMs = opts.retention?.maxAgeMs ?? 60 * 60 * 1000
  if (!(maxEntries >= 1) || !(maxAgeMs >= 1000)) {
    throw new TypeError(
      'createBullmqRunner: retention.maxEntries must be at least 1 and retention.maxAgeMs at least 1000',
    )
  }
  const keep = { age: Math.ceil(maxAgeMs / 1000), count: Math.floor(maxEntries) }
  const durability = opts.durability ?? 'before-response'
  if (durability !== 'before-response' && durability !== 'after-response') {
    throw new TypeError(
      `createBullmqRunner: durability must be 'before-response' or 'after-response'; got ${String(durability)}`,
    )
  }
  const enqueueTimeoutMs = opts.enqueueTimeoutMs ?? 2000
  if (!(enqueueTimeoutMs >= 1 && enqueueTimeoutMs <= 2 ** 31 - 1)) {
    throw new TypeError(
      `createBullmqRunner: enqueueTimeoutMs must be a number of milliseconds from 1 to 2^31 - 1; got ${enqueueTimeoutMs}`,
    )
  }

  let host: TaskHost | undefined
  const attached = (): TaskHost => {
    if (!host)
      throw new TypeError(
        '@faultline/bullmq: pass the runner to createFaultline({ background: { tasks, runner } }) first',
      )
    return host
  }

  const queue: TaskQueue = new Queue<TaskJobData, unknown, string>(queueName, {
    connection: failFast(opts.connection),
    ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }),
  })
  queue.on('error', (cause) => host?.logInternal('faultline: the BullMQ queue failed', cause, { queue: queueName }))
  const adder = createJobAdder(queue, {
    timeoutMs: enqueueTimeoutMs,
    logInternal: (message, cause, extra) => host?.logInternal(message, cause, { queue: queueName, ...extra }),
  })

  // tasks on their way to Redis
  const adding = new Map<string, { job: TaskJob; added: Promise<unknown> }>()
  // tasks drain gave up waiting for, already reported as interrupted
  const abandoned = new Set<string>()

  const jobOptions = (h: TaskHost, job: TaskJob): JobsOptions & { jobId: string } => ({
    jobId: job.id,
    timestamp: job.createdAt,
    attempts: h.retryPolicy(job.task).attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: keep,
    removeOnFail: keep,
  })

  const runner: BullmqRunner = {
    queue,
    takes: durability,
    attach(h) {
      if (host) throw new TypeError('createBullmqRunner: a runner serves one Faultline instance; make one for each')
      host = h
    },
    check(job) {
      const problem = jsonProblem(job.payload)
      if (problem) throw new TypeError(`enqueue: the payload of ${job.task} cannot travel on the queue: ${problem}`)
    },
    async enqueue(jobs) {
      const h = attached()
      const entries = jobs.map((job): JobEntry => {
        const data: TaskJobData = { payload: job.payload }
        if (job.requestId !== undefined) data.requestId = job.requestId
        if (job.carrier !== undefined) data.carrier = job.carrier
        return { name: job.task, data, opts: jobOptions(h, job) }
      })
      const added = adder.add(entries)
      for (const job of jobs) adding.set(job.id, { job, added })
      try {
        await added
      } catch (cause) {
        // reported once already, by drain
        if (!jobs.every((job) => abandoned.has(job.id))) throw cause
      } finally {
        for (const job of jobs) {
          adding.delete(job.id)
          abandoned.delete(job.id)
        }
      }
    },
    async status(id): Promise<TaskRecord | undefined> {
      // the state first: a worker writes a failure's envelope on the job before it fails the job, so
      // a job read after a `failed` state always carries its envelope (read together, it might not)
      const state = await queue.getJobState(id)
      if (state === 'unknown') return undefined
      const job = await queue.getJob(id)
      return job ? recordOf(job, state) : undefined
    },
    async drain(timeoutMs): Promise<DrainResult> {
      const h = attached()
      if (adding.size === 0) return { interrupted: [] }
      // calls wait for their own adds, which end by their deadline and fail the call if they must:
      // nothing to give up on here
      if (durability === 'before-response') {
        let timer: ReturnType<typeof setTimeout> | undefined
        const adds = [...adding.values()].map((p) => p.added)
        await Promise.race([
          Promise.allSettled(adds),
          new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ])
        clearTimeout(timer)
        return { interrupted: [] }
      }
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
      })
      // tasks committed while the drain waits (a call finishing during shutdown) are waited for too
      const awaited = new Set<Promise<unknown>>()
      let outcome: 'done' | 'timeout' = 'done'
      for (;;) {
        const fresh = [...adding.values()].map((p) => p.added).filter((added) => !awaited.has(added))
        if (fresh.length === 0) break
        for (const added of fresh) awaited.add(added)
        outcome = await Promise.race([Promise.allSettled(fresh).then(() => 'done' as const), timedOut])
        if (outcome === 'timeout') break
      }
      clearTimeout(timer)
      if (outcome === 'done') return { interrupted: [] }
      // still not in Redis: say so once, never lose them silently
      const lost = [...adding.values()].map((p) => p.job)
      for (const job of lost) {
        adding.delete(job.id)
        abandoned.add(job.id)
        await h.interrupt(job, 0)
      }
      return { interrupted: lost.map((job) => job.id) }
    },
    async idle(idleOpts = {}) {
      const timeoutMs = idleOpts.timeoutMs ?? 30_000
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (adding.size === 0) {
          const counts = await queue.getJobCounts(...COUNTED)
          if (COUNTED.every((type) => !counts[type])) return
          if (Date.now() > deadline) {
            throw new Error(`idle: queue ${queueName} still had work after ${timeoutMs} ms: ${JSON.stringify(counts)}`)
          }
        } else if (Date.now() > deadline) {
          throw new Error(`idle: ${adding.size} task(s) were still on their way to Redis after ${timeoutMs} ms`)
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    async close() {
      adder.close()
      await adder.settled()
      await queue.close()
    },
  }
  internals.set(runner, { host: attached, queueName, connection: opts.connection, prefix: opts.prefix })
  return runner
}

/**
 * The queue's connection: unless given an instance, one that fails at once while Redis is
 * unreachable and reconnects quickly, so an add is tried again within its deadline rather than
 * buffered past it. Options given win.
 */
function failFast(connection: ConnectionOptions): ConnectionOptions {
  if (isRedisInstance(connection)) return connection
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
    ...connection,
  }
}
