// The two sides the BullMQ bench compares, each set up on one queue of its own: a tRPC mutation
// (called through createCaller) that queues a task, and a worker that runs it.
// raw: plain tRPC whose mutation awaits BullMQ's `queue.add`, and a BullMQ `Worker`.
// faultline: tRPC with Faultline, the mutation calling `ctx.background.enqueue` on the
// @faultline/bullmq runner, and `startWorker` on the same runner.
// Both use the same payload, job data, concurrency, attempts, backoff and retention.
import { randomUUID } from 'node:crypto'
import { createBullmqRunner, startWorker } from '@faultline/bullmq'
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, handle, type Logger } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { type ConnectionOptions, type JobsOptions, Queue, Worker } from 'bullmq'
import { z } from 'zod'

export type Side = 'raw' | 'faultline'
/** Whether the task succeeds, or fails every attempt with a retryable error. */
export type Outcome = 'succeeds' | 'fails'

/** Attempts of each task on both sides; the failing task uses them all. */
export const ATTEMPTS = 3
// the first retry waits up to this, the second up to twice this: exponential, full jitter
const BASE_MS = 5
// Faultline's default retention, given to raw BullMQ's jobs too: an hour, at most 10,000 of each outcome
const KEEP = { age: 3600, count: 10_000 }
const TASK = 'send-receipt'

/** What each side did in this process: task runs, and failure log lines built. */
export const counts = { runs: 0, lines: 0 }
// both sides build each failure's line (level, time, fields) and serialize it, then drop it
let lastLine = ''
const sink = (obj: object, msg: string): void => {
  lastLine = JSON.stringify({ level: 'warn', time: Date.now(), ...obj, msg })
  counts.lines++
}
const logger: Logger = { info: sink, warn: sink, error: sink }
/** The last log line, for a look at what each side logs. */
export const lastLogLine = () => lastLine

/** The mailer's own error: retryable on both sides (Faultline maps it to UNAVAILABLE). */
class MailerDown extends Error {
  override name = 'MailerDown'
}
// the task's work, the same function on both sides
const work: Record<Outcome, () => undefined> = {
  succeeds: () => {
    counts.runs++
    return undefined
  },
  fails: () => {
    counts.runs++
    throw new MailerDown('mail server refused the connection')
  },
}

const payloadSchema = z.object({ email: z.string(), orderId: z.string() })
/** The payload of the i-th task: the same bytes on both sides. */
const payloadOf = (i: number) => {
  const n = String(i).padStart(6, '0')
  return { email: `customer-${n}@example.test`, orderId: `ord_${n}` }
}

/** One side on one queue: queue paused, worker connected and waiting. */
export interface OpenSide {
  /** The queue both the mutation and the worker use. */
  queue: Queue
  /** Calls the mutation `count` times at once; resolves once every job is in Redis. */
  enqueue(count: number): Promise<void>
  /** The BullMQ worker, for counting finished jobs. */
  worker: Worker
  close(): Promise<void>
}

export interface SideOptions {
  connection: ConnectionOptions
  queueName: string
  concurrency: number
}

export function openSide(side: Side, outcome: Outcome, opts: SideOptions): Promise<OpenSide> {
  return side === 'raw' ? openRaw(outcome, opts) : openFaultline(outcome, opts)
}

async function openRaw(outcome: Outcome, { connection, queueName, concurrency }: SideOptions): Promise<OpenSide> {
  const queue = new Queue(queueName, { connection })
  // what Faultline's runner gives each job, less its own job id and backoff type: BullMQ's
  // exponential backoff with full jitter draws from the same range as Faultline's
  const jobOptions: JobsOptions = {
    attempts: ATTEMPTS,
    backoff: { type: 'exponential', delay: BASE_MS, jitter: 1 },
    removeOnComplete: KEEP,
    removeOnFail: KEEP,
  }
  const t = initTRPC.context<{ requestId: string }>().create()
  const router = t.router({
    send: t.procedure.input(payloadSchema).mutation(async ({ ctx, input }) => {
      // the same job data as Faultline's runner stores: the payload and the request id
      await queue.add(TASK, { payload: input, requestId: ctx.requestId }, jobOptions)
      return { queued: true }
    }),
  })
  // a request id as long as Faultline's
  const makeContext = async () => ({ requestId: `req_${randomUUID().replaceAll('-', '')}` })
  await queue.pause()
  const worker = new Worker(queueName, async () => work[outcome](), { connection, concurrency })
  worker.on('failed', (job, err) => {
    if (!job) return
    sink(
      {
        taskId: job.id,
        task: job.name,
        attempt: job.attemptsMade,
        requestId: job.data.requestId,
        code: 'UNAVAILABLE',
        error: err.message,
      },
      'task failed',
    )
  })
  onErrors(queue, worker)
  await worker.waitUntilReady()
  return {
    queue,
    worker,
    async enqueue(count) {
      const calls: Promise<unknown>[] = []
      for (let i = 0; i < count; i++) calls.push(router.createCaller(await makeContext()).send(payloadOf(i)))
      await Promise.all(calls)
    },
    async close() {
      await worker.close()
      await queue.close()
    },
  }
}

const errors = defineErrors({})

async function openFaultline(outcome: Outcome, { connection, queueName, concurrency }: SideOptions) {
  const sendReceipt = defineTask({
    name: TASK,
    payload: payloadSchema,
    retry: { attempts: ATTEMPTS, baseMs: BASE_MS, maxMs: 4 * BASE_MS },
    run: work[outcome],
  })
  const runner = createBullmqRunner({ connection, queueName })
  const fl = createFaultline({
    errors,
    logger,
    expose: 'safe',
    handlers: [handle(MailerDown, () => errors.UNAVAILABLE())],
    background: { tasks: [sendReceipt], runner },
  })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    send: t.procedure
      .concat(fl.background)
      .input(payloadSchema)
      .mutation(({ ctx, input }) => {
        ctx.background.enqueue(TASK, input)
        return { queued: true }
      }),
  })
  const makeContext = fl.createContext()
  await runner.queue.pause()
  const started = startWorker(runner, { concurrency })
  onErrors(runner.queue, started.worker)
  await started.ready()
  return {
    queue: runner.queue,
    worker: started.worker,
    async enqueue(count: number) {
      const calls: Promise<unknown>[] = []
      for (let i = 0; i < count; i++) calls.push(router.createCaller(await makeContext({})).send(payloadOf(i)))
      await Promise.all(calls)
      // each call returns once its job is in Redis; drain checks that none is still on its way
      const { interrupted } = await fl.tasks.drain({ timeoutMs: 60_000 })
      if (interrupted.length > 0) throw new Error(`${interrupted.length} task(s) never reached Redis`)
    },
    async close() {
      await started.close()
      await runner.close()
    },
  } satisfies OpenSide
}

// a connection fault would make the figures meaningless: say so at once
function onErrors(queue: Queue, worker: Worker) {
  const fault = (cause: unknown) => {
    console.error('bench:bullmq: a queue or worker failed:', cause)
    process.exitCode = 1
  }
  queue.on('error', fault)
  worker.on('error', fault)
}
