import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/** What `fl.tasks` offers a shutdown: a drain that reports the tasks it had to interrupt. */
export interface TaskDrain {
  drain(opts: { timeoutMs?: number }): Promise<{ interrupted: string[] }>
}

/** Where a shutdown logs its steps (the server's `Logger` and pino fit). */
export interface ShutdownLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface ShutdownOptions {
  /** The app's Faultline instance (`fl`): its background tasks are drained once the requests are done. */
  faultline?: object & { readonly tasks?: TaskDrain }
  /**
   * The whole budget in milliseconds, default 10 s. Requests in flight get half of it (all of it
   * when there are no tasks to drain) before their connections are cut; the tasks get the rest.
   */
  timeoutMs?: number
  /** Logs each step: `info` when it starts and stops, `warn` when it cuts connections. */
  logger?: ShutdownLogger | false
}

/** How a shutdown ended. */
export interface ShutdownResult {
  /** Background tasks that had not finished by the deadline, now aborted and recorded `interrupted`. */
  interrupted: string[]
  /** Whether requests still running when their half of the budget ran out had their connections cut. */
  forced: boolean
}

// how often connections that went idle after the shutdown started are closed
const SWEEP_MS = 50

const stopping = new WeakMap<Server, Promise<ShutdownResult>>()

/**
 * Stops a node HTTP server without losing work: it takes no new connection,
 * lets the requests in flight finish (each later response says
 * `Connection: close`, and idle keep-alive connections are closed, so a busy
 * client cannot hold the server open), cuts the connections still open when
 * the requests' budget runs out, then drains the background tasks those
 * requests queued. A task not done by the deadline is aborted and recorded
 * `interrupted`, never silently dropped. Calling it again for the same server
 * returns the same promise, so two signals stop it once.
 *
 * @example
 * for (const signal of ['SIGINT', 'SIGTERM'] as const) {
 *   process.once(signal, () => gracefulShutdown(server, { faultline: fl, logger }).then(() => process.exit(0)))
 * }
 */
export function gracefulShutdown(server: Server, opts: ShutdownOptions = {}): Promise<ShutdownResult> {
  if (!isServer(server)) {
    throw new TypeError(
      `gracefulShutdown: expected a node HTTP server (what http.createServer or app.listen returns); got ${describe(server)}`,
    )
  }
  const timeoutMs = opts.timeoutMs ?? 10_000
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs === Number.POSITIVE_INFINITY) {
    throw new TypeError(`gracefulShutdown: timeoutMs must be a finite number of milliseconds >= 0; got ${timeoutMs}`)
  }
  const tasks = tasksOf(opts.faultline)
  const logger = loggerOf(opts.logger)
  let stop = stopping.get(server)
  if (!stop) {
    stop = run(server, tasks, timeoutMs, logger)
    stopping.set(server, stop)
  }
  return stop
}

async function run(
  server: Server,
  tasks: TaskDrain | undefined,
  timeoutMs: number,
  logger: ShutdownLogger | undefined,
): Promise<ShutdownResult> {
  const deadline = Date.now() + timeoutMs
  logger?.info({ timeoutMs }, 'shutting down: no new requests; finishing those in flight and their background tasks')
  // runs before the app's handler: every response from now on ends its connection
  const closeAfterResponse = (_req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close')
  }
  server.prependListener('request', closeAfterResponse)
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  // close() ends the connections idle right now; the sweep ends those that go idle later
  // (a response already on its way when the shutdown started still said keep-alive)
  server.closeIdleConnections()
  const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS)
  const forced = !(await settlesWithin(closed, tasks ? timeoutMs / 2 : timeoutMs))
  if (forced) {
    // requests still running are cut; the tasks they already queued are drained below
    logger?.warn({}, 'shutting down: closing the connections still open')
    server.closeAllConnections()
    await closed
  }
  clearInterval(sweep)
  server.off('request', closeAfterResponse)
  const interrupted = tasks ? (await tasks.drain({ timeoutMs: Math.max(0, deadline - Date.now()) })).interrupted : []
  logger?.info({ interrupted }, 'stopped')
  return { interrupted, forced }
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([promise.then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}

function isServer(value: unknown): value is Server {
  if (typeof value !== 'object' || value === null) return false
  const server = value as Record<string, unknown>
  return ['close', 'prependListener', 'closeIdleConnections', 'closeAllConnections'].every(
    (method) => typeof server[method] === 'function',
  )
}

function tasksOf(faultline: ShutdownOptions['faultline']): TaskDrain | undefined {
  if (faultline === undefined) return undefined
  if (typeof faultline !== 'object' || faultline === null) {
    throw new TypeError(`gracefulShutdown: faultline must be the app's Faultline instance; got ${describe(faultline)}`)
  }
  let tasks: unknown
  try {
    tasks = faultline.tasks
  } catch {
    // an instance without background tasks may throw when its `tasks` is read: it has none to drain
    return undefined
  }
  if (tasks === undefined) return undefined
  if (typeof (tasks as Partial<TaskDrain> | null)?.drain !== 'function') {
    throw new TypeError(`gracefulShutdown: faultline.tasks must have a drain function; got ${describe(tasks)}`)
  }
  return tasks as TaskDrain
}

function loggerOf(logger: ShutdownOptions['logger']): ShutdownLogger | undefined {
  if (logger === undefined || logger === false) return undefined
  const methods = logger as Partial<ShutdownLogger> | null
  if (typeof methods?.info !== 'function' || typeof methods.warn !== 'function') {
    throw new TypeError(`gracefulShutdown: logger must have info and warn functions; got ${describe(logger)}`)
  }
  return logger
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`
  if (typeof value === 'function') return 'a function'
  return `${typeof value} ${String(value)}`
}
