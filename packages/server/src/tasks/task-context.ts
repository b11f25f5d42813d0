import type { Engine } from '../engine/engine'
import type { AttemptOutcome, TaskCarrier, TaskJob } from './runner'

/** One attempt of a task, as `taskContext.around` sees it. */
export interface TaskAttemptInfo {
  readonly taskId: string
  readonly task: string
  /** 1 for the first attempt. */
  readonly attempt: number
  /** The request that queued the task. */
  readonly requestId: string | undefined
  /** What `capture` returned when the task was queued, carried with its job; `undefined` when nothing was. */
  readonly carrier: TaskCarrier | undefined
}

/**
 * Carries context (a trace, say) from the request that queues a task to each attempt that runs
 * it, in this process or on a queue's worker: `createFaultline({ taskContext })`. Both hooks are
 * optional; without them tasks cost nothing more.
 */
export interface TaskContextHooks {
  /**
   * Called as a procedure queues a task, in the request's own async context. What it returns
   * travels with the task's job (a queue carries it to its worker). A throw is counted as a `hook`
   * fault and the task is queued without a carrier.
   */
  capture?(): TaskCarrier | undefined
  /**
   * Runs each attempt of a task, in whichever process runs it: call `run` inside the context the
   * attempt should have (a span linked to the captured one) and return what it returns. The
   * attempt's failure is resolved, logged and reported inside `run`. A wrapper that throws or
   * never calls `run` is counted as a `hook` fault; the attempt then runs without it.
   */
  around?<T>(attempt: TaskAttemptInfo, run: () => Promise<T>): Promise<T>
}

const NO_FAILURE = Symbol('no failure')

type RunAttempt = (
  job: TaskJob,
  attempt: number,
  signal: AbortSignal,
  claim?: () => Promise<boolean>,
) => Promise<AttemptOutcome>

/**
 * The task context hooks of an instance, applied where tasks are queued and run. Without hooks,
 * `capture` hands back the job it was given and `around` the function: no wrapper, no allocation.
 */
export function createTaskContext(hooks: TaskContextHooks | undefined, engine: Engine) {
  const capture = hooks?.capture
  const around = hooks?.around
  return {
    /** The job with the carrier `capture` returns in the request's context, if any. */
    capture(job: TaskJob): TaskJob {
      if (!capture) return job
      let carrier: TaskCarrier | undefined
      try {
        carrier = capture.call(hooks)
      } catch (cause) {
        engine.fault('hook', cause, 'faultline: taskContext.capture threw; the task is queued without a carrier', {
          taskId: job.id,
        })
        return job
      }
      return carrier && typeof carrier === 'object' ? { ...job, carrier } : job
    },
    /** `runAttempt` wrapped in `around`, or itself when there is no `around`. */
    around(runAttempt: RunAttempt): RunAttempt {
      if (!around) return runAttempt
      return async (job, attempt, signal, claim) => {
        let ran: Promise<AttemptOutcome> | undefined
        const run = () => {
          ran ??= runAttempt(job, attempt, signal, claim)
          return ran
        }
        const info: TaskAttemptInfo = {
          taskId: job.id,
          task: job.task,
          attempt,
          requestId: job.requestId,
          carrier: job.carrier,
        }
        let failure: unknown = NO_FAILURE
        try {
          await around.call(hooks, info, run)
        } catch (cause) {
          failure = cause
        }
        if (!ran) {
          const cause =
            failure === NO_FAILURE ? new TypeError('taskContext.around resolved without calling run') : failure
          engine.fault('hook', cause, 'faultline: taskContext.around did not run the attempt; it runs without it')
        } else if (failure !== NO_FAILURE) {
          engine.fault('hook', failure, 'faultline: taskContext.around threw')
        }
        return run()
      }
    },
  }
}
