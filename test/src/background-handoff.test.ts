// A request's tasks start once its response has gone. Watching for that costs a listener on a
// node response, or a turn of the event loop under a fetch adapter: only requests that queue a task pay for it.
import type { ServerResponse } from 'node:http'
import { createFaultline, defineTask } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import { afterEach, expect, test, vi } from 'vitest'
import { errors } from './fixtures/catalog'

const ran: string[] = []
const note = defineTask({ name: 'note', run: () => void ran.push('task') })

function app(gate: Promise<void> = Promise.resolve(), arrived: () => void = () => {}) {
  const fl = createFaultline({ errors, logger: false, background: { tasks: [note] } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    quiet: t.procedure.concat(fl.background).query(() => 'nothing queued'),
    queue: t.procedure.concat(fl.background).mutation(({ ctx }) => ctx.background.enqueue('note')),
    queueLate: t.procedure.concat(fl.background).mutation(async ({ ctx }) => {
      arrived()
      await gate
      return ctx.background.enqueue('note')
    }),
  })
  return { fl, router }
}

async function serve(server: ReturnType<typeof createHTTPServer>) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`
}
const JSON_POST = { method: 'POST', headers: { 'content-type': 'application/json' } }

afterEach(() => {
  ran.length = 0
  vi.restoreAllMocks()
})

test('on a node response, only a request that queued a task listens for the response to finish', async () => {
  const { fl, router } = app()
  const listening: Record<string, number> = {}
  const server = createHTTPServer({
    router,
    createContext: fl.createContext(({ res }: { res: ServerResponse }) => ({ res })),
    ...fl.adapter({
      // runs after the calls have committed their tasks, before the response is written
      responseMeta: ({ ctx, paths }: { ctx?: { res: ServerResponse }; paths?: readonly string[] }) => {
        listening[paths?.[0] ?? '?'] = (ctx?.res.listenerCount('finish') ?? 0) + (ctx?.res.listenerCount('close') ?? 0)
        return {}
      },
    }),
  })
  const url = await serve(server)
  try {
    expect((await fetch(`${url}/quiet`)).status).toBe(200)
    expect((await fetch(`${url}/queue`, JSON_POST)).status).toBe(200)
    // `finish` and `close`, once each, for the request that queued
    expect((listening.queue ?? 0) - (listening.quiet ?? 0)).toBe(2)
    await vi.waitFor(() => expect(ran).toEqual(['task']))
    await fl.tasks.drain()
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

test('a task queued after the client went away starts at once: the response it waited for is gone', async () => {
  let release = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  let arrived = () => {}
  const inProcedure = new Promise<void>((resolve) => {
    arrived = resolve
  })
  const { fl, router } = app(gate, arrived)
  const server = createHTTPServer({ router, createContext: fl.createContext(), ...fl.adapter() })
  const url = await serve(server)
  try {
    const client = new AbortController()
    const call = fetch(`${url}/queueLate`, { ...JSON_POST, signal: client.signal }).catch((e: Error) => e.name)
    await inProcedure
    client.abort()
    expect(await call).toBe('AbortError')
    // the server has seen the connection close before the procedure commits its task
    await new Promise((resolve) => setTimeout(resolve, 50))
    release()
    await vi.waitFor(() => expect(ran).toEqual(['task']))
    await fl.tasks.drain()
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

test('under a fetch adapter, only a request that queued a task schedules a hand-off, and its task starts after the Response', async () => {
  const { fl, router } = app()
  const request = async (path: string, method = 'GET') => {
    const timers = vi.spyOn(globalThis, 'setImmediate')
    const res = await fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request(`http://x/trpc/${path}`, { method, headers: { 'content-type': 'application/json' } }),
      router,
      createContext: fl.createContext(),
      ...fl.adapter(),
    })
    const scheduled = timers.mock.calls.length
    timers.mockRestore()
    expect(res.status).toBe(200)
    return scheduled
  }
  expect(await request('quiet')).toBe(0)
  expect(await request('queue', 'POST')).toBe(1)
  expect(ran).toEqual([])
  await vi.waitFor(() => expect(ran).toEqual(['task']))
  await fl.tasks.drain()
})
