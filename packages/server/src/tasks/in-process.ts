import { sleep } from './attempt'
import type { DrainResult, TaskHost, TaskJob, TaskRunner } from './runner'
import { isTerminal, queuedRecord, type TaskRecord } from './store'

/** Options of the in-process runner. */
export interface InProcessRunnerOptions {
  /** Tasks running at once; more wait their turn. Default 100. */
  concurrency?: number
}

// The Workers runtime ties an AbortController to the request that made it, and refuses it to any
// other request's tasks: there each task gets its own.
const CONTROLLER_PER_TASK =
  (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === 'Cloudflare-Workers'

interface Running {
  job: TaskJob
  /** The task's state as this runner reports it to the ledger. */
  record: TaskRecord
  /** Aborts when a drain gives up on the tasks running at the time. */
  controller: AbortController
  done: Promise<void>
  settle: () => void
}

/**
 * Runs background tasks in this process, after the response has gone: the default runner. It
 * reports each task's new state to the instance's ledger, which keeps the records.
 *
 * @example
 * createFaultline({ errors, background: { tasks, runner: inProcessRunner({ concurrency: 20 }) } })
 */
export function inProcessRunner(opts: InProcessRunnerOptions = {}): TaskRunner {
  const concurrency = opts.concurrency ?? 100
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`inProcessRunner: concurrency must be a whole number of at least 1; got ${concurrency}`)
  }
  let host: TaskHost | undefined
  const jobs = new Map<string, Running>()
  const waiting: (() => void)[] = []
  let running = 0
  // one controller for all the tasks that run until a drain times out, not one for each task:
  // a drain aborts every task it gives up on at once anyway. Made by the first task, not here:
  // the Workers runtime refuses an AbortController made at a module's top level.
  let epoch: AbortController | undefined

  const attached = (): TaskHost => {
    if (!host) throw new TypeError('inProcessRunner: pass this runner to createFaultline({ background: { runner } })')
    return host
  }

  /** Reports a task's state; a promise only when the ledger's store writes asynchronously. */
  const report = (record: TaskRecord): Promise<void> | undefined => {
    record.updatedAt = Date.now()
    return attached().transition(record)
  }

  /** Takes a place among the tasks running; a promise only when all are taken. */
  const slot = (): Promise<void> | undefined => {
    if (running < concurrency) {
      running++
      return undefined
    }
    return new Promise<void>((resolve) => waiting.push(resolve))
  }
  // a place freed passes straight to the task waiting longest: counted free in between, a task
  // started before that one resumed would take it too
  const release = () => {
    const next = waiting.shift()
    if (next) next()
    else running--
  }

  const execute = async (entry: Running) => {
    const { job, record } = entry
    const signal = entry.controller.signal
    const h = attached()
    const waited = slot()
    if (waited) {
      // all places taken: the record says queued until one frees
      await report(record)
      await waited
    }
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) return
        record.status = 'running'
        record.attempts = attempt
        const reporting = report(record)
        if (reporting) await reporting
        const outcome = await h.attempt(job, attempt, signal)
        // superseded never happens here: this runner passes no claim
        if (outcome.status === 'aborted' || outcome.status === 'superseded' || signal.aborted) return
        if (outcome.status === 'succeeded') {
          record.status = 'succeeded'
          delete record.error
          return report(record)
        }
        record.error = outcome.envelope
        if (!outcome.retry) {
          record.status = 'failed'
          return report(record)
        }
        record.status = 'queued'
        await report(record)
        await sleep(outcome.delayMs, signal)
      }
    } finally {
      release()
    }
  }

  const start = (job: TaskJob): Promise<void> => {
    let settle = () => {}
    const done = new Promise<void>((resolve) => {
      settle = resolve
    })
    if (!epoch || CONTROLLER_PER_TASK) epoch = new AbortController()
    const entry: Running = { job, record: queuedRecord(job), controller: epoch, done, settle }
    jobs.set(job.id, entry)
    const finish = () => {
      jobs.delete(job.id)
      settle()
    }
    execute(entry).then(finish, (cause) => {
      attached().logInternal('faultline: a task could not be run', cause, { taskId: job.id })
      finish()
    })
    return done
  }

  /** Waits for every task running, those started meanwhile too; `timeout` when the time ran out first. */
  const settled = async (timeoutMs: number): Promise<'done' | 'timeout'> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    })
    const awaited = new Set<Running>()
    try {
      for (;;) {
        const fresh = [...jobs.values()].filter((entry) => !awaited.has(entry))
        if (fresh.length === 0) return 'done'
        for (const entry of fresh) awaited.add(entry)
        const all = Promise.all(fresh.map((entry) => entry.done)).then(() => 'done' as const)
        if ((await Promise.race([all, timedOut])) === 'timeout') return 'timeout'
      }
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    attach(h) {
      if (host) throw new TypeError('inProcessRunner: a runner serves one Faultline instance; make one for each')
      host = h
    },
    enqueue(batch) {
      attached()
      // most calls queue one task
      if (batch.length === 1) return start(batch[0] as TaskJob)
      return Promise.all(batch.map(start)).then(() => {})
    },
    async drain(timeoutMs) {
      const h = attached()
      const interrupted: string[] = []
      if ((await settled(timeoutMs)) === 'done') return { interrupted } satisfies DrainResult
      // Every task running now is given up on: aborted, and reported interrupted. Tasks that start
      // while those reports are written (a call finishing now) are given up on in turn, so none is
      // left running past the drain; after it, tasks get a fresh signal.
      const given = new Set<Running>()
      for (;;) {
        const left = [...jobs.values()].filter((entry) => !given.has(entry) && !isTerminal(entry.record.status))
        if (left.length === 0) break
        epoch = undefined
        const reason = new Error('drain timed out')
        for (const entry of left) entry.controller.abort(reason)
        for (const entry of left) {
          given.add(entry)
          interrupted.push(entry.job.id)
          await h.interrupt(entry.job, entry.record.attempts)
          jobs.delete(entry.job.id)
          entry.settle()
        }
      }
      return { interrupted } satisfies DrainResult
    },
  }
}
