import { createBullmqRunner } from '@faultline/bullmq'
import { gracefulShutdown } from '@faultline/server'
import pino from 'pino'
import { createApp } from './app'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' })

// with REDIS_URL, background tasks go to a BullMQ queue that the worker (src/worker.ts) works; else they run here
const redisUrl = process.env.REDIS_URL
const runner = redisUrl ? createBullmqRunner({ connection: { url: redisUrl } }) : undefined
const { server, fl } = createApp({ logger, ...(runner ? { runner } : {}) })
server.listen(port, host, () => {
  logger.info({ url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}/` }, 'Faultline example listening')
})

// requests in flight finish, then their background tasks drain; the same signal again ends it at once
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'signal received')
    gracefulShutdown(server, { faultline: fl, logger }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
