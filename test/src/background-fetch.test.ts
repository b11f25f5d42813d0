// Background tasks under the fetch adapter (serverless, edge): they start once
// the Response is produced, and waitUntil keeps the invocation alive for them.
import { createFaultline, defineTask } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { errors } from './fixtures/catalog'

test('tasks start after the Response is produced and are handed to waitUntil', async () => {
  const events: string[] = []
  const ping = defineTask({
    name: 'ping',
    payload: z.object({ n: z.number() }),
    run: ({ n }) => void events.push(`task ${n}`),
  })
  const fl = createFaultline({ errors, logger: false, background: { tasks: [ping] } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure.concat(fl.background).mutation(({ ctx }) => {
      ctx.background.enqueue('ping', { n: 1 })
      events.push('procedure')
      return 'ok'
    }),
  })
  const kept: Promise<void>[] = []
  const res = await fetchRequestHandler({
    endpoint: '/trpc',
    req: new Request('http://x/trpc/go', { method: 'POST', headers: { 'content-type': 'application/json' } }),
    router,
    createContext: fl.createContext(undefined, { waitUntil: (p) => void kept.push(p) }),
    ...fl.adapter(),
  })
  events.push('response')
  expect(await res.clone().text()).toContain('"data":"ok"')
  expect(events).toEqual(['procedure', 'response'])
  await new Promise((r) => setTimeout(r, 10))
  expect(kept).toHaveLength(1)
  await Promise.all(kept)
  expect(events).toEqual(['procedure', 'response', 'task 1'])
})

test('watch yields a task record at each change until it finishes', async () => {
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const slow = defineTask({ name: 'slow', run: () => gate })
  const fl = createFaultline({ errors, logger: false, background: { tasks: [slow] } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    start: t.procedure.concat(fl.background).mutation(({ ctx }) => ctx.background.enqueue('slow')),
    tasks: fl.taskRouter,
  })
  const caller = t.createCallerFactory(router)({ requestId: 'r1' })
  const id = await caller.start()
  const seen: string[] = []
  const watching = (async () => {
    for await (const record of await caller.tasks.watch({ id })) seen.push(record.status)
  })()
  await new Promise((r) => setTimeout(r, 20))
  release()
  await watching
  expect(seen[0]).toBe('queued')
  expect(seen).toContain('running')
  expect(seen.at(-1)).toBe('succeeded')
})
