import { expect, test } from 'vitest'
import { jsonProblem, recordOf, type TaskQueueJob } from './shared'

test.each([
  [{ a: 1, b: ['x', null, true], c: { d: undefined } }, undefined],
  [undefined, undefined],
  [{ at: new Date(0) }, 'a Date at at (it would arrive as a string)'],
  [{ n: Number.NaN }, 'NaN at n (it would arrive as null)'],
  [{ list: [1, undefined] }, 'undefined at list.1 (it would arrive as null)'],
  [{ big: 1n }, 'a bigint at big'],
  [{ m: new Map() }, 'a Map at m (only plain objects travel as JSON)'],
  [{ f: () => {} }, 'a function at f'],
])('what cannot travel as JSON is named with its path (%#)', (payload, problem) => {
  expect(jsonProblem(payload)).toBe(problem)
})

test('a circular payload is refused; a shared one is not', () => {
  const shared = { x: 1 }
  expect(jsonProblem({ a: shared, b: shared })).toBeUndefined()
  const loop: Record<string, unknown> = {}
  loop.self = loop
  expect(jsonProblem(loop)).toBe('a circular reference at self')
})

const job = (data: TaskQueueJob['data'], extra: Partial<TaskQueueJob> = {}) =>
  ({ id: 'task_1', name: 'send', data, attemptsStarted: 1, timestamp: 10, processedOn: 20, ...extra }) as TaskQueueJob

test("a job's record: its state as a task status, the last failure's envelope, the latest time it changed", () => {
  const error = { v: 1 as const, code: 'UNAVAILABLE', status: 503, message: 'down', retry: { retryable: true } }
  expect(recordOf(job({ payload: {}, requestId: 'req_1' }), 'waiting')).toEqual({
    id: 'task_1',
    task: 'send',
    status: 'queued',
    attempts: 1,
    requestId: 'req_1',
    createdAt: 10,
    updatedAt: 20,
  })
  expect(recordOf(job({ error, failedAt: 30 }), 'delayed')).toMatchObject({ status: 'queued', error, updatedAt: 30 })
  expect(recordOf(job({ error }, { finishedOn: 40 }), 'completed')).not.toHaveProperty('error')
  expect(recordOf(job({ error, interrupted: true }), 'failed')).toMatchObject({ status: 'interrupted', error })
  // failed by BullMQ before a worker recorded why: still a valid envelope
  expect(recordOf(job({ requestId: 'req_2' }), 'failed')).toMatchObject({
    status: 'failed',
    error: { v: 1, code: 'UNAVAILABLE', status: 503, requestId: 'req_2', retry: { retryable: true } },
  })
})
