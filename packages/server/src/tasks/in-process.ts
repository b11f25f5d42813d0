import { FaultlineError } from '@faultline/contract'
import { whenAborted } from './abort'
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
    const unwatch = whenAborted(signal, () => done())
    function done() {
      clearTimeout(timer)
      unwatch()
      resolve()
    }
    step()
  })
}

interface Running {
  job: TaskJob
  record: TaskRecord
  /** Aborts when a drain gives up on the tasks running at the time. */
  signal: AbortSignal
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
  // one controller for all the tasks that run until a drain times out, not one for each task:
  // an AbortController is dear to make and to collect, and a drain aborts every task it gives
  // up on at once anyway
  let epoch = new AbortController()

  const attached = (): TaskHost => {
    if (!host) throw new TypeError('inProcessRunner: pass this runner to createFaultline({ background: { runner } })')
    return host
  }

  // the memory store this runner made keeps copies of its own; a store given may keep what it is given
  const copyOnSave = opts.store !== undefined
  const saveFailed = (record: TaskRecord, cause: unknown) =>
    attached().logInternal('faultline: the task store failed to save a record', cause, { taskId: record.id })

  /** Saves a record and tells watchers; a promise only when the store's save is one (a shared store). */
  const save = (record: TaskRecord): Promise<void> | undefined => {
    record.updatedAt = Date.now()
    // the host copies the record for each watcher, if any
    const saved = () => attached().changed(record)
    let saving: Promise<void> | undefined | void
    try {
      saving = store.set(copyOnSave ? { ...record } : record)
    } catch (cause) {
      saveFailed(record, cause)
    }
    if (saving && typeof saving.then === 'function') {
      return saving.then(saved, (cause) => {
        saveFailed(record, cause)
        saved()
      })
    }
    saved()
    return undefined
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
    const { job, record, signal } = entry
    const h = attached()
    const waited = slot()
    if (waited) {
      // all places taken: the record says queued until one frees
      await save(record)
      await waited
    }
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) return
        record.status = 'running'
        record.attempts = attempt
        // a synchronous store gives no promise to wait for, and none is made
        const saving = save(record)
        if (saving) await saving
        const outcome = await h.attempt(job, attempt, signal)
        if (outcome.status === 'aborted' || signal.aborted) return
        if (outcome.status === 'succeeded') {
          record.status = 'succeeded'
          delete record.error
          return save(record)
        }
        record.error = outcome.envelope
        if (!outcome.retry) {
          record.status = 'failed'
          return save(record)
        }
        record.status = 'queued'
        await save(record)
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
    const record = queuedRecord(job)
    const entry: Running = { job, record, signal: epoch.signal, done, settle }
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
        // Every task running now is given up on: aborted, and marked interrupted. Tasks that
        // start while the records are saved (a call finishing now) are given up on in turn, so
        // none is left running past the drain; after it, tasks get a fresh signal.
        const given = new Set<Running>()
        for (;;) {
          const running = [...jobs.values()].filter((entry) => !given.has(entry) && !isTerminal(entry.record.status))
          if (running.length === 0) break
          const ending = epoch
          epoch = new AbortController()
          ending.abort(new Error('drain timed out'))
          for (const entry of running) {
            given.add(entry)
            entry.record.status = 'interrupted'
            entry.record.error = h.fail(entry.job, entry.record.attempts, interruption(entry.job.task))
            interrupted.push(entry.job.id)
            await save(entry.record)
            jobs.delete(entry.job.id)
            entry.settle()
          }
        }
      }
      return { interrupted } satisfies DrainResult
    },
  }
}
