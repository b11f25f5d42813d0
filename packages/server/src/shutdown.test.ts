import { Agent, createServer, type IncomingHttpHeaders, type RequestListener, request, type Server } from 'node:http'
import { defineErrors } from '@faultline/contract'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { afterEach, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { createFaultline, defineTask } from './index'
import { gracefulShutdown } from './shutdown'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

const servers: Server[] = []
afterEach(() => {
  // a failed test may leave a server open: close it so the run can end
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    server.close()
  }
})

async function serve(listener: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('server has no port')
  return { server, port: address.port }
}

function send(port: number, opts: { path?: string; body?: string; agent?: Agent } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        method: opts.body === undefined ? 'GET' : 'POST',
        headers: opts.body === undefined ? {} : { 'content-type': 'application/json' },
        agent: opts.agent ?? false,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

function deferred() {
  let resolve = () => {}
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** A server whose every request waits until the test lets it answer; `arrived` resolves on the first. */
async function slowServer() {
  const release = deferred()
  const arrived = deferred()
  const { server, port } = await serve(async (_req, res) => {
    arrived.resolve()
    await release.promise
    res.end('done')
  })
  return { server, port, arrived: arrived.promise, release: release.resolve }
}

describe('requests in flight', () => {
  test('a request in flight is answered before the shutdown resolves, and a keep-alive client does not hold it open', async () => {
    const { server, port, arrived, release } = await slowServer()
    const agent = new Agent({ keepAlive: true })
    const events: string[] = []
    const answer = send(port, { agent }).then((a) => {
      events.push('answered')
      return a
    })
    await arrived
    // a budget shorter than node's keep-alive timeout: the idle connection must be closed, not waited out
    const stopped = gracefulShutdown(server, { timeoutMs: 2_000 }).then((result) => {
      events.push('stopped')
      return result
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(events).toEqual([])

    release()
    const result = await stopped
    expect(events).toEqual(['answered', 'stopped'])
    expect(await answer).toMatchObject({ status: 200, body: 'done', headers: { connection: 'keep-alive' } })
    // the kept-alive connection was closed once idle: nothing had to be cut
    expect(result).toEqual({ interrupted: [], forced: false })
    expect(server.listening).toBe(false)
    agent.destroy()
  })

  test('a new connection is refused once the shutdown has started', async () => {
    const { server, port, arrived, release } = await slowServer()
    const inFlight = send(port)
    await arrived
    const stopped = gracefulShutdown(server)

    await expect(send(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    release()
    expect((await inFlight).status).toBe(200)
    await stopped
  })

  test('a request that never ends is cut off when the budget runs out', async () => {
    const { server, port, arrived } = await slowServer()
    const hung = send(port)
    await arrived
    const started = Date.now()
    const result = await gracefulShutdown(server, { timeoutMs: 200 })

    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    expect(result).toEqual({ interrupted: [], forced: true })
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' })
    expect(server.listening).toBe(false)
  })
})

/** An app whose `place` mutation queues a `work` task: quick, or one that runs until it is aborted. */
async function tasksApp() {
  const finished: string[] = []
  const work = defineTask({
    name: 'work',
    payload: z.object({ hang: z.boolean() }),
    timeoutMs: 60_000,
    async run({ hang }, { taskId, signal }) {
      await new Promise<void>((resolve) => {
        if (!hang) setTimeout(resolve, 100)
        signal.addEventListener('abort', () => resolve())
      })
      signal.throwIfAborted()
      finished.push(taskId)
    },
  })
  const fl = createFaultline({ errors: defineErrors({}), background: { tasks: [work] } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    place: t.procedure
      .concat(fl.background)
      .input(z.object({ hang: z.boolean() }))
      .mutation(({ ctx, input }) => ({ taskId: ctx.background.enqueue('work', input) })),
  })
  const app = await serve(createHTTPHandler({ router, createContext: fl.createContext(), ...fl.adapter() }))
  const place = async (hang: boolean) => {
    const answer = await send(app.port, { path: '/place', body: JSON.stringify({ hang }) })
    return (JSON.parse(answer.body) as { result: { data: { taskId: string } } }).result.data.taskId
  }
  return { ...app, fl, place, finished }
}

describe('background tasks', () => {
  test('the tasks the requests queued finish before the shutdown resolves', async () => {
    const app = await tasksApp()
    const ids = [await app.place(false), await app.place(false)]
    expect(app.finished).toEqual([])

    const result = await gracefulShutdown(app.server, { faultline: app.fl, timeoutMs: 5_000 })
    expect(result).toEqual({ interrupted: [], forced: false })
    expect(app.finished.sort()).toEqual(ids.sort())
  })

  test('a task not done by the deadline is interrupted and named in the result', async () => {
    const app = await tasksApp()
    const quick = await app.place(false)
    const hanging = await app.place(true)

    const result = await gracefulShutdown(app.server, { faultline: app.fl, timeoutMs: 400 })
    expect(result.interrupted).toEqual([hanging])
    expect(app.finished).toEqual([quick])
  })

  test('an instance without background tasks has nothing to drain', async () => {
    const { server } = await serve((_req, res) => res.end())
    const fl = createFaultline({ errors: defineErrors({}) })
    expect(await gracefulShutdown(server, { faultline: fl })).toEqual({ interrupted: [], forced: false })
  })
})

describe('calling it', () => {
  test('a second call for the same server returns the same shutdown', async () => {
    const { server, port, arrived, release } = await slowServer()
    const inFlight = send(port)
    await arrived
    const first = gracefulShutdown(server, { timeoutMs: 10_000 })
    // the second call's shorter budget does not start another, faster stop
    const second = gracefulShutdown(server, { timeoutMs: 0 })
    expect(second).toBe(first)

    release()
    expect((await inFlight).status).toBe(200)
    expect(await second).toEqual({ interrupted: [], forced: false })
  })

  test('bad input is refused with a TypeError naming what was wrong', async () => {
    const { server } = await serve((_req, res) => res.end())
    const handler: RequestListener = () => {}
    expect(() => gracefulShutdown(handler as never)).toThrow(/expected a node HTTP server .* got a function/)
    expect(() => gracefulShutdown({} as never)).toThrow(/expected a node HTTP server/)
    expect(() => gracefulShutdown(server, { timeoutMs: -1 })).toThrow(/timeoutMs must be .*; got -1/)
    expect(() => gracefulShutdown(server, { timeoutMs: Number.NaN })).toThrow(/timeoutMs .*; got NaN/)
    expect(() => gracefulShutdown(server, { faultline: { tasks: {} } as never })).toThrow(
      /faultline.tasks must have a drain function/,
    )
    expect(() => gracefulShutdown(server, { logger: console.log as never })).toThrow(/logger must have info and warn/)
    // refused input starts nothing: the server still takes requests
    expect(server.listening).toBe(true)
  })
})
