import type { JobsOptions } from 'bullmq'
import type { TaskJobData, TaskQueue } from './shared'

/** One job as the queue adds it. */
export interface JobEntry {
  name: string
  data: TaskJobData
  opts: JobsOptions & { jobId: string }
}

/** How the adder reports what it cannot say any other way. */
type LogInternal = (message: string, cause: unknown, extra?: Record<string, unknown>) => void

// job states in which a job is not yet a worker's: a recall may still remove it
const UNTAKEN = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children'])

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Logged when a worker took a job given up on (its call answered UNAVAILABLE, or its task reported failed) before it was recalled. */
const RAN_ANYWAY = 'faultline: a task given up on was taken by a worker before it could be recalled'

/** The add did not land in time: Redis was unreachable or did not answer. */
export class EnqueueTimeout extends Error {
  constructor(timeoutMs: number, cause: unknown) {
    super(`Redis did not take the task's job within ${timeoutMs} ms`, { cause })
    this.name = 'EnqueueTimeout'
  }
}

/** An error Redis itself answered with (a script's error): trying again cannot help. */
const isReply = (error: unknown) => error instanceof Error && error.name === 'ReplyError'

/**
 * Adds a call's jobs to the queue, trying again while Redis cannot be reached, until `timeoutMs`:
 * adding is idempotent, since the job id is the task id. A job given up on may still land (an add
 * in flight when Redis went away, or buffered by the connection): it is recalled once Redis answers,
 * removed unless a worker took it first, which is logged, so the task never runs unnoticed after
 * its call was answered `UNAVAILABLE`.
 */
export function createJobAdder(queue: TaskQueue, opts: { timeoutMs: number; logInternal: LogInternal }) {
  const { timeoutMs, logInternal } = opts
  let closed = false
  const recalls = new Set<Promise<void>>()
  // recalls waiting for Redis: each wakes at its own timer, at close, or as soon as the queue
  // reconnects, ahead of workers, which reconnect more slowly
  const waiting = new Set<() => void>()
  const wakeAll = () => {
    for (const wake of [...waiting]) wake()
  }
  let listening = false
  const wait = (ms: number) => {
    if (!listening) {
      listening = true
      void queue.getBackend().client.then(
        (client) => client.on('ready', wakeAll),
        () => {},
      )
    }
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        waiting.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      waiting.add(wake)
    })
  }

  const send = (entries: readonly JobEntry[]): Promise<unknown> => {
    // a call's one task is added on its own: addBulk sends through an ioredis pipeline, and
    // making one copies every BullMQ script onto it, which costs more than the add itself
    const only = entries.length === 1 ? entries[0] : undefined
    return only ? queue.add(only.name, only.data, only.opts) : queue.addBulk([...entries])
  }

  /** Removes a job given up on once Redis answers, after its last add has settled. */
  const recall = async (id: string, lastAdd: Promise<unknown>) => {
    // an add sent before Redis was first reached waits for it: a recall stops waiting at close
    let settled = false
    const onSettled = () => {
      settled = true
      wakeAll()
    }
    void lastAdd.then(onSettled, onSettled)
    for (let delay = 100; !closed; delay = Math.min(2 * delay, 2000)) {
      if (!settled) {
        await wait(delay)
        continue
      }
      try {
        const state = await queue.getJobState(id)
        if (state === 'unknown') return
        if (UNTAKEN.has(state) && (await queue.remove(id)) === 1) return
        logInternal(RAN_ANYWAY, undefined, { taskId: id, state })
        return
      } catch {
        await wait(delay)
      }
    }
    logInternal(
      'faultline: the runner closed before a task given up on could be recalled; it may still run',
      undefined,
      {
        taskId: id,
      },
    )
  }

  return {
    /** Resolves once every job is in Redis; rejects with `EnqueueTimeout` (or Redis's own error) otherwise. */
    async add(entries: readonly JobEntry[]): Promise<void> {
      const deadline = Date.now() + timeoutMs
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs)
      })
      let last: Promise<unknown> = Promise.resolve()
      let failure: unknown = new EnqueueTimeout(timeoutMs, undefined)
      try {
        for (let wait = 25; Date.now() < deadline; wait = Math.min(2 * wait, 200)) {
          last = send(entries)
          try {
            if ((await Promise.race([last, late])) !== 'late') return
            break
          } catch (cause) {
            failure = isReply(cause) ? cause : new EnqueueTimeout(timeoutMs, cause)
            if (isReply(cause) || closed || Date.now() + wait >= deadline) break
          }
          await Promise.race([sleep(wait), late])
        }
      } finally {
        clearTimeout(timer)
      }
      for (const entry of entries) {
        const recalling = recall(entry.opts.jobId, last).finally(() => recalls.delete(recalling))
        recalls.add(recalling)
      }
      throw failure
    },
    /** Stops recalling; a job not recalled yet is logged. */
    close() {
      closed = true
      wakeAll()
    },
    /** Resolves once the recalls under way have ended. */
    async settled(): Promise<void> {
      while (recalls.size > 0) await Promise.allSettled([...recalls])
    },
  }
}
