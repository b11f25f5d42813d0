import type { TaskQueueJob } from './shared'

/** What a claim needs of the worker: its Redis client and its queue's keys. */
interface ClaimingWorker {
  getBackend(): {
    readonly client: Promise<{
      defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void
      runCommand(name: string, args: unknown[]): Promise<unknown>
    }>
  }
  toKey(type: string): string
}

const COMMAND = 'faultlineClaimReport'
// a field on the job's own hash, so it goes when the job goes; a job already removed is claimed by anyone
const LUA = `if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])`

/**
 * Claims, across every worker of the queue, the right to report one attempt's failure: a job
 * re-run while the worker that had it was frozen past its lock has two workers that may each
 * report the attempt; only the first claim wins. Waits for Redis while it is away; when the claim
 * cannot be made at all, the failure is reported here rather than lost.
 */
export function reportClaimer(worker: ClaimingWorker, onError: (cause: unknown, job: TaskQueueJob) => void) {
  let defined: Promise<Awaited<ReturnType<ClaimingWorker['getBackend']>['client']>> | undefined
  const client = () => {
    defined ??= worker.getBackend().client.then(
      (c) => {
        c.defineCommand(COMMAND, { numberOfKeys: 1, lua: LUA })
        return c
      },
      (cause) => {
        defined = undefined
        throw cause
      },
    )
    return defined
  }
  return async (job: TaskQueueJob, attempt: number): Promise<boolean> => {
    try {
      const c = await client()
      const won = await c.runCommand(COMMAND, [worker.toKey(String(job.id)), `fl:reported:${attempt}`, Date.now()])
      return won === 1
    } catch (cause) {
      onError(cause, job)
      return true
    }
  }
}
