import { FaultlineError } from '@faultline/contract'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { TasksControl } from './options'
import { isTerminal, type TaskRecord } from './store'

/** `{ id: string }`, as a Standard Schema, so the status router needs no validation library. */
export const taskIdInput: StandardSchemaV1<{ id: string }> = {
  '~standard': {
    version: 1,
    vendor: 'faultline',
    validate(value) {
      const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined
      if (typeof id === 'string' && id.length > 0 && id.length <= 200) return { value: { id } }
      return { issues: [{ message: 'Expected a task id (a string of 1 to 200 characters)', path: ['id'] }] }
    },
  },
}

export function taskNotFound(id: string): FaultlineError<'NOT_FOUND', undefined> {
  return new FaultlineError({ code: 'NOT_FOUND', message: `No task ${id}`, data: undefined })
}

/** A task's record, or NOT_FOUND. */
export async function requireTask(tasks: Pick<TasksControl, 'status' | 'watch'>, id: string): Promise<TaskRecord> {
  const record = await tasks.status(id)
  if (!record) throw taskNotFound(id)
  return record
}

const POLL_MS = 1000

/** Whether a record says something new: a clock tick alone may not separate two states. */
function changedSince(last: TaskRecord, next: TaskRecord): boolean {
  return next.updatedAt > last.updatedAt || next.status !== last.status || next.attempts !== last.attempts
}

/**
 * Yields a task's record now and at every change until it is finished. Changes
 * made in this process arrive at once; a shared store is polled as well.
 */
export async function* watchTask(
  tasks: Pick<TasksControl, 'status' | 'watch'>,
  id: string,
  signal: AbortSignal | undefined,
) {
  let last = await requireTask(tasks, id)
  yield last
  if (isTerminal(last.status)) return
  const queue: TaskRecord[] = []
  let wake: (() => void) | undefined
  const stop = tasks.watch(id, (record) => {
    queue.push(record)
    wake?.()
  })
  const onAbort = () => wake?.()
  signal?.addEventListener('abort', onAbort)
  try {
    while (!signal?.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        wake = undefined
        if (queue.length === 0) {
          const polled = await tasks.status(id)
          if (polled && changedSince(last, polled)) queue.push(polled)
        }
      }
      while (queue.length) {
        const next = queue.shift() as TaskRecord
        // an out-of-date change is dropped, but never the end: clocks of other processes may lag
        if (!isTerminal(next.status) && (next.updatedAt < last.updatedAt || !changedSince(last, next))) continue
        last = next
        yield next
        if (isTerminal(next.status)) return
      }
    }
  } finally {
    stop()
    signal?.removeEventListener('abort', onAbort)
  }
}
