// Background tasks on BullMQ, run by a worker process. Type-checked only: running it needs Redis.
import { createBullmqRunner, startWorker } from '@faultline/bullmq'
import { createFaultline, defineTask } from '@faultline/server'
import { z } from 'zod'
import { errors } from './errors.js'

export const sendWelcome = defineTask({
  name: 'send-welcome',
  payload: z.object({ userId: z.string() }),
  async run({ userId }, { signal }) {
    signal.throwIfAborted()
    if (userId === 'u_404') throw errors.USER_NOT_FOUND({ userId })
  },
})

export function startTasksWorker(redisUrl: string) {
  const runner = createBullmqRunner({ connection: { url: redisUrl } })
  createFaultline({ errors, background: { tasks: [sendWelcome], runner } })
  return startWorker(runner, { concurrency: 2 })
}
