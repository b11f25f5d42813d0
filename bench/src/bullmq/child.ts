// One side of the BullMQ bench, run by bullmq.ts as a child process, bundled:
//   node bullmq-side.mjs <raw|faultline>
// The parent drives it step by step over IPC and reads Redis's counters between the steps:
//   open     a fresh queue, paused, and its worker, connected and waiting
//   enqueue  calls the mutation `tasks` times, timed until every job is in Redis
//   sample   the size of one queued job's data
//   run      resumes the queue, timed until every task has finished (succeeded, or failed its last attempt)
//   close    closes the worker and the queue
import { performance } from 'node:perf_hooks'
import { counts, lastLogLine, type OpenSide, type Outcome, openSide, type Side } from './sides'

export type Request =
  | { type: 'open'; outcome: Outcome; queueName: string; port: number; concurrency: number }
  | { type: 'enqueue' | 'run'; tasks: number }
  | { type: 'sample' | 'close' | 'exit' }

/** A timed step: wall time, this process's CPU time, and the task runs and log lines it saw. */
export interface Timed {
  ms: number
  cpuMicros: number
  runs: number
  lines: number
}
export interface Sample {
  dataBytes: number
}
export interface Closed {
  lastLogLine: string
}

const side = process.argv[2]
if (side !== 'raw' && side !== 'faultline') throw new TypeError(`bullmq child: usage: <raw|faultline>; got ${side}`)

// a run that stalls (a lost connection) fails the bench rather than hanging it
const RUN_TIMEOUT_MS = 120_000

let open: (OpenSide & { finished: (count: number) => Promise<void> }) | undefined

async function timed(step: () => Promise<void>): Promise<Timed> {
  const { runs, lines } = counts
  const cpu = process.cpuUsage()
  const start = performance.now()
  await step()
  const ms = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { ms, cpuMicros: used.user + used.system, runs: counts.runs - runs, lines: counts.lines - lines }
}

/** Counts the worker's finished tasks: completed, or failed with no attempt left. */
function countFinished(opened: OpenSide) {
  let finished = 0
  let waiting: { count: number; resolve: () => void } | undefined
  const tick = () => {
    finished++
    if (waiting && finished >= waiting.count) waiting.resolve()
  }
  opened.worker.on('completed', tick)
  // BullMQ sets finishedOn only when the job is failed for good, not when it is retried
  opened.worker.on('failed', (job) => {
    if (job?.finishedOn) tick()
  })
  return (count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${finished} of ${count} tasks finished in ${RUN_TIMEOUT_MS} ms`)),
        RUN_TIMEOUT_MS,
      )
      waiting = {
        count,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      if (finished >= count) waiting.resolve()
    })
}

async function handle(request: Request): Promise<unknown> {
  switch (request.type) {
    case 'open': {
      const opened = await openSide(side as Side, request.outcome, {
        connection: { host: '127.0.0.1', port: request.port },
        queueName: request.queueName,
        concurrency: request.concurrency,
      })
      open = { ...opened, finished: countFinished(opened) }
      return {}
    }
    case 'enqueue': {
      const current = required()
      return timed(() => current.enqueue(request.tasks))
    }
    case 'sample': {
      const [job] = await required().queue.getJobs(['wait'], 0, 0)
      if (!job) throw new Error('no queued job to sample')
      return { dataBytes: Buffer.byteLength(JSON.stringify(job.data)) } satisfies Sample
    }
    case 'run': {
      const current = required()
      return timed(async () => {
        const finished = current.finished(request.tasks)
        await current.queue.resume()
        await finished
      })
    }
    case 'close': {
      await open?.close()
      open = undefined
      return { lastLogLine: lastLogLine() } satisfies Closed
    }
    case 'exit': {
      await open?.close()
      process.exit(0)
    }
  }
}

function required() {
  if (!open) throw new Error('no queue is open')
  return open
}

process.on('message', (request: Request) => {
  handle(request).then(
    (reply) => process.send?.({ ok: reply }),
    (error: unknown) =>
      process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  )
})
process.send?.({ ok: 'ready' })
