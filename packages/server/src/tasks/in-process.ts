import { FaultlineError } from '@faultline/contract'
import type { DrainResult, TaskHost, TaskJob, TaskRunner } from './runner'
import { isTerminal, memoryTaskStore, queuedRecord, type TaskRecord, type TaskStore } from './store'

/** Options of the in-process runner. */
export interface InProcessRunnerOptions {
  /** Where task records live; default `memoryTaskStore()`. */
  store?: TaskStore
  /** Tasks running at once; more wait their turn. Default 100. */
  concurrency?: number
}

/** The failure a task gets when shutdown stops it before it finished. */
export function interruption(task: string): FaultlineError<'UNAVAILABLE', undefined> {
  return new FaultlineError({
    code: 'UNAVAILABLE',
    message: `Task ${task} was interrupted by shutdown before it finished`,
    data: undefined,
  })
}

// a timer of more than 2^31 - 1 ms (about 24.8 days) fires at once: longer waits take several
const MAX_TIMER_MS = 2 ** 31 - 1

/** Waits `ms` (however long), or until the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    let left = ms
    let timer: ReturnType<typeof setTimeout> | undefined
    const step = () => {
      if (left <= 0) return done()
      const wait = Math.min(left, MAX_TIMER_MS)
      left -= wait
      timer = setTimeout(step, wait)
    }
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
    step()
  })
}

interface Running {
  job: TaskJob
  record: TaskRecord
  controller: AbortController
  done: Promise<void>
  settle: () => void
}

/**
 * Runs background tasks in this process, after the response has gone: the
 * default runner. Records live in `store`; a shared store lets other
 * processes answer for status, but the work stays here.
 *
 * @example
 * createFaultline({ errors, background: { tasks, runner: inProcessRunner({ concurrency: 20 }) } })
 */
export function inProcessRunner(opts: InProcessRunnerOptions = {}): TaskRunner {
  const store = opts.store ?? memoryTaskStore()
  const concurrency = opts.concurrency ?? 100
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`inProcessRunner: concurrency must be a whole number of at least 1; got ${concurrency}`)
  }
  let host: TaskHost | undefined
  const jobs = new Map<string, Running>()
  const waiting: (() => void)[] = []
  let running = 0

  const attached = (): TaskHost => {
    if (!host) throw new TypeError('inProcessRunner: pass this runner to createFaultline({ background: { runner } })')
    return host
  }

  const save = async (record: TaskRecord) => {
    record.updatedAt = Date.now()
    try {
      await store.set({ ...record })
    } catch (cause) {
      attached().logInternal('faultline: the task store failed to save a record', cause, { taskId: record.id })
    }
    // the host copies the record for each watcher, if any
    attached().changed(record)
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

  const execute = async (entry: Running) => {
    const { job, record, controller } = entry
    const h = attached()
    await slot()
    try {
      for (let attempt = 1; ; attempt++) {
        if (controller.signal.aborted) return
        record.status = 'running'
        record.attempts = attempt
        await save(record)
        const outcome = await h.attempt(job, attempt, controller.signal)
        if (outcome.status === 'aborted' || controller.signal.aborted) return
        if (outcome.status === 'succeeded') {
          record.status = 'succeeded'
          delete record.error
          await save(record)
          return
        }
        record.error = outcome.envelope
        if (!outcome.retry) {
          record.status = 'failed'
          await save(record)
          return
        }
        record.status = 'queued'
        await save(record)
        await sleep(outcome.delayMs, controller.signal)
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
    const record = queuedRecord(job)
    const entry: Running = { job, record, controller: new AbortController(), done, settle }
    jobs.set(job.id, entry)
    void save(record)
    execute(entry)
      .catch((cause) => attached().logInternal('faultline: a task could not be run', cause, { taskId: job.id }))
      .finally(() => {
        jobs.delete(job.id)
        settle()
      })
    return done
  }

  return {
    attach(h) {
      if (host) throw new TypeError('inProcessRunner: a runner serves one Faultline instance; make one for each')
      host = h
    },
    async enqueue(batch) {
      attached()
      await Promise.all(batch.map(start))
    },
    status: (id) => store.get(id),
    async drain(timeoutMs) {
      const h = attached()
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs)
      })
      // tasks that start while the drain waits (a call finishing during shutdown) are waited for too
      const awaited = new Set<Running>()
      let outcome: 'done' | 'timeout' = 'done'
      for (;;) {
        const fresh = [...jobs.values()].filter((entry) => !awaited.has(entry))
        if (fresh.length === 0) break
        for (const entry of fresh) awaited.add(entry)
        const all = Promise.all(fresh.map((entry) => entry.done)).then(() => 'done' as const)
        outcome = await Promise.race([all, timedOut])
        if (outcome === 'timeout') break
      }
      clearTimeout(timer)
      const interrupted: string[] = []
      if (outcome === 'timeout') {
        for (const entry of jobs.values()) {
          if (isTerminal(entry.record.status)) continue
          entry.controller.abort(new Error('drain timed out'))
          entry.record.status = 'interrupted'
          entry.record.error = h.fail(entry.job, entry.record.attempts, interruption(entry.job.task))
          interrupted.push(entry.job.id)
          await save(entry.record)
          jobs.delete(entry.job.id)
          entry.settle()
        }
      }
      return { interrupted } satisfies DrainResult
    },
  }
}
