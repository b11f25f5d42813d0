import { type AnyEnvelope, FaultlineError } from '@faultline/contract'
import type { TaskCarrier, TaskHost, TaskJob, TaskRecord, TaskStatus } from '@faultline/server/runner'
import type { ConnectionOptions, Job, JobState, Queue } from 'bullmq'

/**
 * What a task's job carries in Redis: the task's payload and the request
 * that queued it; after a failure, the failure's envelope, so any process
 * can answer for the task's status.
 */
export interface TaskJobData {
  /** The payload as given to `enqueue`; the worker checks it against the task's schema again. */
  payload?: unknown
  requestId?: string
  /** The context captured as the task was queued (`taskContext.capture`: a trace's `traceparent`, …). */
  carrier?: TaskCarrier
  /** The envelope of the last failure (already logged and reported). */
  error?: AnyEnvelope
  /** The attempt `error` belongs to. */
  errorAttempt?: number
  /** When `error` was recorded. */
  failedAt?: number
  /** The last attempt was interrupted by a worker's shutdown. */
  interrupted?: boolean
}

/** A BullMQ job of a Faultline task. */
export type TaskQueueJob = Job<TaskJobData, unknown, string>

/** The BullMQ queue tasks go to. */
export type TaskQueue = Queue<TaskJobData, unknown, string>

/** The backoff type of task jobs: workers compute each delay from the failure's envelope. */
export const BACKOFF_TYPE = 'faultline'

/** What `startWorker` needs from a runner, kept off its public type. */
export interface RunnerInternals {
  host(): TaskHost
  queueName: string
  connection: ConnectionOptions
  prefix: string | undefined
}

export const internals = new WeakMap<object, RunnerInternals>()

/** The job's task, as Faultline's engine runs it. */
export function taskOf(job: TaskQueueJob): TaskJob {
  const task = {
    id: String(job.id),
    task: job.name,
    payload: job.data.payload,
    requestId: job.data.requestId,
    createdAt: job.timestamp,
  }
  const { carrier } = job.data
  return carrier ? { ...task, carrier } : task
}

const STATUS: Record<JobState, TaskStatus> = {
  completed: 'succeeded',
  failed: 'failed',
  active: 'running',
  waiting: 'queued',
  delayed: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
}

/** A job's task record, as the status router serves it. */
export function recordOf(job: TaskQueueJob, state: JobState, now?: number): TaskRecord {
  const data = job.data
  let status = STATUS[state]
  if (status === 'failed' && data.interrupted) status = 'interrupted'
  const record: TaskRecord = {
    id: String(job.id),
    task: job.name,
    status,
    attempts: job.attemptsStarted,
    requestId: data.requestId,
    createdAt: job.timestamp,
    updatedAt: now ?? Math.max(job.timestamp, job.processedOn ?? 0, job.finishedOn ?? 0, data.failedAt ?? 0),
  }
  if (status !== 'succeeded') {
    const error = data.error ?? (state === 'failed' ? unrecorded(job) : undefined)
    if (error) record.error = error
  }
  return record
}

/** The envelope of a job that failed before a worker could record why (it is recorded right after). */
function unrecorded(job: TaskQueueJob): AnyEnvelope {
  const envelope: AnyEnvelope = {
    v: 1,
    code: 'UNAVAILABLE',
    status: 503,
    message: `Task ${job.name} failed and its failure is not recorded yet`,
    retry: { retryable: true },
  }
  if (job.data.requestId) envelope.requestId = job.data.requestId
  return envelope
}

/** The failure of an attempt whose worker stopped mid-task (killed, crashed, lost its lock). */
export function lostWorker(task: string, cause?: unknown): FaultlineError<'UNAVAILABLE', undefined> {
  return new FaultlineError({
    code: 'UNAVAILABLE',
    message: `Task ${task} was stopped mid-task: its worker was lost`,
    data: undefined,
    ...(cause === undefined ? {} : { cause }),
  })
}

/** The failure of an attempt that a worker's shutdown interrupted. */
export function interrupted(task: string): FaultlineError<'UNAVAILABLE', undefined> {
  return new FaultlineError({
    code: 'UNAVAILABLE',
    message: `Task ${task} was interrupted by shutdown before it finished`,
    data: undefined,
  })
}

/**
 * Why a payload cannot travel as JSON unchanged (BullMQ stores job data as
 * JSON), or undefined when it can.
 */
export function jsonProblem(value: unknown): string | undefined {
  const seen = new Set<object>()
  const walk = (v: unknown, path: string, depth: number, inArray: boolean): string | undefined => {
    const at = path ? ` at ${path}` : ''
    if (depth > 100) return `nesting deeper than 100 levels${at}`
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined
    if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${v}${at} (it would arrive as null)`
    if (v === undefined) return inArray ? `undefined${at} (it would arrive as null)` : undefined
    if (typeof v !== 'object') return `a ${typeof v}${at}`
    if (seen.has(v)) return `a circular reference${at}`
    if (v instanceof Date) return `a Date${at} (it would arrive as a string)`
    seen.add(v)
    try {
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const problem = walk(v[i], path ? `${path}.${i}` : String(i), depth + 1, true)
          if (problem) return problem
        }
        return undefined
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) {
        const name = typeof proto?.constructor === 'function' ? proto.constructor.name : 'object'
        return `a ${name || 'class instance'}${at} (only plain objects travel as JSON)`
      }
      for (const [key, item] of Object.entries(v)) {
        const problem = walk(item, path ? `${path}.${key}` : key, depth + 1, false)
        if (problem) return problem
      }
      return undefined
    } finally {
      seen.delete(v)
    }
  }
  return walk(value, '', 0, false)
}
