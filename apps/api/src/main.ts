import pino from 'pino'
import { createApp } from './app'

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' })

const { server } = createApp({ logger })
server.listen(port, host, () => {
  logger.info({ url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${port}/` }, 'Faultline example listening')
})

const stop = () => server.close(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
