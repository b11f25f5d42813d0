// The example's worker process: the same Faultline set-up as the API (catalog,
// handlers, task definitions), running the tasks the API puts on the BullMQ
// queue at REDIS_URL. `pnpm start:distributed` starts it beside the API.
import { createBullmqRunner, startWorker } from '@faultline/bullmq'
import pino from 'pino'
import { createApi } from './router'

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }).child({ process: 'worker' })
const url = process.env.REDIS_URL
if (!url) {
  logger.error('set REDIS_URL (e.g. redis://127.0.0.1:6379): the worker takes its tasks from Redis')
  process.exit(1)
}

const runner = createBullmqRunner({ connection: { url } })
// a task's failure is mapped, logged and reported here, by the same handlers and catalog as the API's
createApi({ logger, runner })
const worker = startWorker(runner, { concurrency: Number(process.env.WORKER_CONCURRENCY ?? 10) })
await worker.ready()
logger.info({ queue: runner.queue.name }, 'Faultline example worker taking tasks')

// running tasks get 10 s to finish; those that do not go back to the queue for another worker
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    const { interrupted } = await worker.close({ timeoutMs: 10_000 })
    await runner.close()
    logger.info({ signal, interrupted }, 'worker stopped')
    process.exit(0)
  })
}
