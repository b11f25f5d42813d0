import { expect, test } from 'vitest'
import { createBullmqRunner } from './runner'
import { startWorker } from './worker'

const connection = { host: '127.0.0.1', port: 6379, lazyConnect: true }

test.each([
  [{}, /`connection` is required/],
  [{ connection, queueName: 'a:b' }, /queueName must be a non-empty string without ':'/],
  [{ connection, retention: { maxEntries: 0 } }, /retention.maxEntries must be at least 1/],
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
