import { type AnyEnvelope, FaultlineError } from '@faultline/contract'
import { whenAborted } from './abort'
import type { RetryPolicy, TaskContext } from './define'
import { nextTurn } from './next-turn'
import { checkPayload, type TaskRegistry } from './registry'
import type { AttemptOutcome, TaskJob } from './runner'

const ABORTED = Symbol('aborted')
const NOT_ABORTED = Symbol('not aborted')

/**
 * What a task's `run` is told about its attempt, and how the attempt aborts it. The signal is
 * made the first time the task reads it: most tasks never look at it. It is an own property, so a
 * copy of the context (`{ ...ctx, db }`) carries it too.
 */
function attemptContext(job: TaskJob, task: string, attempt: number) {
  let controller: AbortController | undefined
  let abortedWith: unknown = NOT_ABORTED
  const context: TaskContext = {
    taskId: job.id,
    task,
    attempt,
    requestId: job.requestId,
    get signal() {
      if (!controller) {
        controller = new AbortController()
        if (abortedWith !== NOT_ABORTED) controller.abort(abortedWith)
      }
      return controller.signal
    },
  }
  const abort = (reason: unknown) => {
    if (abortedWith !== NOT_ABORTED) return
    abortedWith = reason
    controller?.abort(reason)
  }
  return { context, abort }
}

/**
 * Whether a failure is tried again, and after how long: when its envelope is retryable and the
 * policy has attempts left, after an exponential delay with full jitter, at least `retry.afterMs`.
 */
export function retryDecision(
  envelope: AnyEnvelope,
  attempt: number,
  policy: Required<RetryPolicy>,
): { retry: boolean; delayMs: number } {
  if (!envelope.retry.retryable || attempt >= policy.attempts) return { retry: false, delayMs: 0 }
  const backoff = Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1))
  return { retry: true, delayMs: Math.max(backoff, envelope.retry.afterMs ?? 0) }
}

/** The failure of a task that shutdown stopped before it finished. */
export function interruption(task: string): FaultlineError<'UNAVAILABLE', undefined> {
  return new FaultlineError({
    code: 'UNAVAILABLE',
    message: `Task ${task} was interrupted by shutdown before it finished`,
    data: undefined,
  })
}

/** Resolves a task's failure (logged and reported once) and returns its envelope. */
export type FailTask = (job: TaskJob, attempt: number, thrown: unknown) => AnyEnvelope

/**
 * Runs one attempt of a task: its payload checked, its work started on a turn of its own, its
 * timeout counted from then, and its end decided once, whatever settles after.
 */
export async function runAttempt(
  registry: TaskRegistry,
  fail: FailTask,
  run: { job: TaskJob; attempt: number; signal: AbortSignal; claim?: (() => Promise<boolean>) | undefined },
): Promise<AttemptOutcome> {
  const { job, attempt, signal, claim } = run
  const resolve = (thrown: unknown): AttemptOutcome => {
    const envelope = fail(job, attempt, thrown)
    return { status: 'failed', envelope, ...retryDecision(envelope, attempt, registry.retryPolicy(job.task)) }
  }
  // with a claim, the failure is reported only by whoever claims this attempt first
  const failed = (thrown: unknown): AttemptOutcome | Promise<AttemptOutcome> =>
    claim ? claim().then((won) => (won ? resolve(thrown) : { status: 'superseded' })) : resolve(thrown)
  let def: ReturnType<TaskRegistry['require']>
  let payload: unknown
  try {
    def = registry.require(job.task, `task ${job.id}`)
    payload = checkPayload(def, job.payload, `task ${job.id}`)
  } catch (thrown) {
    return failed(thrown)
  }
  if (signal.aborted) return { status: 'aborted' }
  const { context, abort } = attemptContext(job, def.name, attempt)
  const { timeoutMs } = def
  let timer: ReturnType<typeof setTimeout> | undefined
  let unwatch = () => {}
  try {
    const result = await new Promise<unknown>((resolve, reject) => {
      let aborted = false
      unwatch = whenAborted(signal, () => {
        aborted = true
        abort(signal.reason)
        resolve(ABORTED)
      })
      // On a turn of its own, the work's errors carry its own stack, not the frames of whatever
      // ran this attempt; followed with arrows, so V8's async stack traces stop at it too. What
      // settles after a timeout or an abort settles nothing more: never an unhandled rejection.
      nextTurn(() => {
        if (aborted) return
        if (timeoutMs) {
          timer = setTimeout(() => {
            const error = new FaultlineError({
              code: 'TIMEOUT',
              message: `Task ${def.name} timed out after ${timeoutMs} ms`,
              data: undefined,
            })
            abort(error)
            reject(error)
          }, timeoutMs)
        }
        let value: unknown
        try {
          value = def.run(payload, context)
        } catch (error) {
          reject(error)
          return
        }
        Promise.resolve(value).then(
          (v) => resolve(v),
          (error) => reject(error),
        )
      })
    })
    return result === ABORTED ? { status: 'aborted' } : { status: 'succeeded' }
  } catch (thrown) {
    if (signal.aborted) return { status: 'aborted' }
    return failed(thrown)
  } finally {
    clearTimeout(timer)
    unwatch()
  }
}

// a timer of more than 2^31 - 1 ms (about 24.8 days) fires at once: longer waits take several
const MAX_TIMER_MS = 2 ** 31 - 1

/** Waits `ms` (however long) before a retry, or until the signal aborts. */
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
