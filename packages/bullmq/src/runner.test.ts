import type { TaskHost, TaskJob } from '@faultline/server/runner'
import { expect, test, vi } from 'vitest'
import { createBullmqRunner } from './runner'
import { startWorker } from './worker'

const connection = { host: '127.0.0.1', port: 6379, lazyConnect: true }

test.each([
  [{}, /`connection` is required/],
  [{ connection, queueName: 'a:b' }, /queueName must be a non-empty string without ':'/],
  [{ connection, retention: { maxEntries: 0 } }, /retention.maxEntries must be at least 1/],
  [
    { connection, durability: 'eventually' },
    /durability must be 'before-response' or 'after-response'; got eventually/,
  ],
  [{ connection, enqueueTimeoutMs: 0 }, /enqueueTimeoutMs must be a number of milliseconds from 1 to 2\^31 - 1; got 0/],
])('options that cannot work are refused (%#)', (opts, message) => {
  expect(() => createBullmqRunner(opts as never)).toThrow(message)
})

test('a worker needs a runner that was given to createFaultline', async () => {
  const runner = createBullmqRunner({ connection })
  try {
    expect(() => startWorker(runner)).toThrow(/pass the runner to createFaultline/)
    expect(() => startWorker({} as never)).toThrow(/expects a runner made by createBullmqRunner/)
  } finally {
    await runner.close()
  }
})

test("a call's one task is added with add, several with addBulk: the same job either way", async () => {
  const runner = createBullmqRunner({ connection, enqueueTimeoutMs: 200 })
  try {
    runner.attach({
      definitions: new Map(),
      retryPolicy: () => ({ attempts: 4, baseMs: 1, maxMs: 1 }),
      logInternal: () => {},
    } as unknown as TaskHost)
    const add = vi.spyOn(runner.queue, 'add').mockResolvedValue({} as never)
    const addBulk = vi.spyOn(runner.queue, 'addBulk').mockResolvedValue([])
    const job = (id: string): TaskJob => ({ id, task: 'send', payload: { n: 1 }, requestId: 'req_1', createdAt: 5 })
    const opts = (id: string) => ({
      jobId: id,
      timestamp: 5,
      attempts: 4,
      backoff: { type: 'faultline' },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 3600, count: 10_000 },
    })
    const data = { payload: { n: 1 }, requestId: 'req_1' }

    await runner.enqueue([job('task_1')])
    expect(add).toHaveBeenCalledExactlyOnceWith('send', data, opts('task_1'))
    expect(addBulk).not.toHaveBeenCalled()

    await runner.enqueue([job('task_2'), job('task_3')])
    expect(addBulk).toHaveBeenCalledExactlyOnceWith([
      { name: 'send', data, opts: opts('task_2') },
      { name: 'send', data, opts: opts('task_3') },
    ])
    expect(add).toHaveBeenCalledOnce()

    // a refused add is tried again, as the same job: the task id makes adding it twice harmless
    add.mockRejectedValueOnce(new Error('connection refused'))
    await runner.enqueue([job('task_4')])
    expect(add.mock.calls.slice(1)).toEqual([
      ['send', data, opts('task_4')],
      ['send', data, opts('task_4')],
    ])

    // refused until the deadline: the enqueue rejects, naming the deadline and the last refusal
    add.mockRejectedValue(new Error('connection refused'))
    const refused = await runner.enqueue([job('task_5')]).catch((e: unknown) => e)
    expect(refused).toMatchObject({
      name: 'EnqueueTimeout',
      message: "Redis did not take the task's job within 200 ms",
      cause: { message: 'connection refused' },
    })

    // an error Redis answered with is final: no second try
    add.mockClear()
    const reply = Object.assign(new Error('ERR script failed'), { name: 'ReplyError' })
    add.mockRejectedValueOnce(reply)
    await expect(runner.enqueue([job('task_6')])).rejects.toBe(reply)
    expect(add).toHaveBeenCalledOnce()
  } finally {
    await runner.close()
  }
})
