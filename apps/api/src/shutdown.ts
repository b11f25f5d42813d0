import type { Server } from 'node:http'
import type { DrainResult, Logger } from '@faultline/server'

export interface ShutdownOptions {
  server: Server
  /** `fl.tasks`: what the server's requests queued. */
  tasks: { drain(opts: { timeoutMs?: number }): Promise<DrainResult> }
  logger?: Logger | false
  /** The whole budget: half for requests in flight, the rest for background tasks. Default 10 s. */
  timeoutMs?: number
}

/**
 * A graceful stop that loses no background task: it takes no new connection,
 * lets the requests in flight finish (a keep-alive connection is closed after
 * its current response, so a busy client cannot hold the server open), then
 * drains the tasks those requests queued. A task that has not finished by the
 * deadline is aborted and recorded as `interrupted`, never silently dropped.
 * Calling it again returns the same stop.
 *
 * @example
 * const shutdown = gracefulShutdown({ server, tasks: fl.tasks, logger })
 * process.once('SIGTERM', () => shutdown('SIGTERM').then(() => process.exit(0)))
 */
export function gracefulShutdown(opts: ShutdownOptions): (reason: string) => Promise<DrainResult> {
  const { server, tasks } = opts
  const logger = opts.logger || undefined
  const timeoutMs = opts.timeoutMs ?? 10_000
  let stopping: Promise<DrainResult> | undefined

  const stop = async (reason: string): Promise<DrainResult> => {
    const deadline = Date.now() + timeoutMs
    logger?.info({ reason }, 'shutting down: no new requests; finishing those in flight and their background tasks')
    // runs before the app's handler: every response from now on ends its connection
    server.prependListener('request', (_req, res) => {
      if (!res.headersSent) res.setHeader('connection', 'close')
    })
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    // close() ends the connections idle right now; these sweeps end those that go idle later
    // (a response already on its way when the signal came still said keep-alive)
    const sweep = setInterval(() => server.closeIdleConnections(), 50)
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs / 2)
    })
    if ((await Promise.race([closed, grace])) === 'late') {
      // requests still running get cut; the tasks they already queued are drained below
      logger?.warn({ reason }, 'shutting down: closing the connections still open')
      server.closeAllConnections()
      await closed
    }
    clearTimeout(timer)
    clearInterval(sweep)
    const drained = await tasks.drain({ timeoutMs: Math.max(0, deadline - Date.now()) })
    logger?.info({ reason, interrupted: drained.interrupted }, 'stopped')
    return drained
  }

  return (reason) => {
    stopping ??= stop(reason)
    return stopping
  }
}
