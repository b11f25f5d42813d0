import { describe, expect, test } from 'vitest'
import { FaultlineClientError } from './error'
import { isFaultlineError } from './helpers'
import { type TaskRecordLike, waitForTask } from './tasks'

const notFound = (id: string) =>
  new FaultlineClientError({
    v: 1,
    code: 'NOT_FOUND',
    status: 404,
    message: `No task ${id}`,
    retry: { retryable: false },
  })
const failed: TaskRecordLike = {
  id: 't1',
  status: 'failed',
  error: { v: 1, code: 'DELIVERY_FAILED', status: 502, message: 'Delivery failed', retry: { retryable: false } },
}

/** A status client answering each call from `answers` in turn (the last one repeats), counting calls. */
function statusClient(answers: (TaskRecordLike | Error)[]) {
  const calls: number[] = []
  const start = Date.now()
  return {
    calls,
    tasks: {
      status: {
        async query({ id }: { id: string }) {
          calls.push(Date.now() - start)
          const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? notFound(id)
          if (answer instanceof Error) throw answer
          return answer
        },
      },
    },
  }
}

describe('waitForTask and a task another process does not know yet', () => {
  test('NOT_FOUND is polled again until the record shows, then the task error rejects', async () => {
    const { tasks, calls } = statusClient([notFound('t1'), notFound('t1'), failed])
    const err = await waitForTask(tasks, 't1', { intervalMs: 5 }).catch((e: unknown) => e)
    expect(isFaultlineError(err, 'DELIVERY_FAILED')).toBe(true)
    expect(calls).toHaveLength(3)
  })

  test('NOT_FOUND rejects once notFoundGraceMs has passed', async () => {
    const { tasks, calls } = statusClient([notFound('t1')])
    const started = Date.now()
    const err = await waitForTask(tasks, 't1', { intervalMs: 10, notFoundGraceMs: 60 }).catch((e: unknown) => e)
    expect(isFaultlineError(err, 'NOT_FOUND')).toBe(true)
    expect(calls.length).toBeGreaterThan(1)
    // it polled until another interval would have passed the grace period
    expect(Date.now() - started).toBeGreaterThanOrEqual(50)
  })

  test('notFoundGraceMs: 0 rejects at the first NOT_FOUND, and other errors are never polled again', async () => {
    const first = statusClient([notFound('t1'), failed])
    await expect(waitForTask(first.tasks, 't1', { intervalMs: 5, notFoundGraceMs: 0 })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect(first.calls).toHaveLength(1)
    const unavailable = new FaultlineClientError({
      v: 1,
      code: 'UNAVAILABLE',
      status: 503,
      message: 'Task status is unavailable for now',
      retry: { retryable: true },
    })
    const second = statusClient([unavailable, failed])
    await expect(waitForTask(second.tasks, 't1', { intervalMs: 5 })).rejects.toBe(unavailable)
    expect(second.calls).toHaveLength(1)
  })
})
