// Faultline's log line through a real pino child logger, over real HTTP: every field survives
// pino's default serializers and sits beside the child's bindings.
import { createServer } from 'node:http'
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import pino from 'pino'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { z } from 'zod'
import { plainJson } from './fixtures/app'
import { listen } from './fixtures/listen'

const errors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, message: 'Order not found', data: z.object({ orderId: z.string() }) },
})

class PoolExhausted extends Error {
  override name = 'PoolExhausted'
}

// every line pino writes, parsed: the bytes a log pipeline would receive
const lines: Record<string, unknown>[] = []
const destination = { write: (json: string) => void lines.push(JSON.parse(json)) }
const logger = pino({ level: 'info' }, destination).child({ service: 'orders', region: 'eu-west-1' })

const sendReceipt = defineTask({
  name: 'send-receipt',
  payload: z.object({ email: z.string() }),
  run() {
    throw new TypeError("Cannot read properties of undefined (reading 'smtp')")
  },
})
const fl = createFaultline({ errors, expose: 'safe', logger, background: { tasks: [sendReceipt] } })
const t = initTRPC
  .context<{ requestId: string }>()
  .create({ errorFormatter: fl.errorFormatter, transformer: plainJson })
const router = t.router({
  report: t.router({
    build: t.procedure.query(() => {
      throw new PoolExhausted('pool exhausted', {
        cause: new Error('query timed out', { cause: new Error('connect ECONNREFUSED 10.0.0.5:5432') }),
      })
    }),
  }),
  order: t.procedure.input(z.object({ id: z.string() })).query(({ input }) => {
    throw errors.ORDER_NOT_FOUND({ orderId: input.id })
  }),
  checkout: t.procedure
    .concat(fl.background)
    .mutation(({ ctx }) => ({ taskId: ctx.background.enqueue('send-receipt', { email: 'a@example.test' }) })),
})

let url: string
let close: () => Promise<void>
beforeAll(async () => {
  ;({ url, close } = await listen(
    createServer(createHTTPHandler({ router, createContext: fl.createContext(), ...fl.adapter() })),
  ))
})
afterAll(() => close())
beforeEach(() => {
  lines.splice(0)
})

const get = (path: string, requestId: string) => fetch(`${url}/${path}`, { headers: { 'x-request-id': requestId } })

test('a crash: level 50, the classification, the error with its stack and cause chain, and the bindings', async () => {
  const res = await get('report.build', 'req-pino-crash')
  expect(res.status).toBe(500)
  expect(lines).toHaveLength(1)
  const line = lines[0] ?? {}
  expect(line).toMatchObject({
    level: 50,
    service: 'orders',
    region: 'eu-west-1',
    pid: process.pid,
    code: 'INTERNAL',
    status: 500,
    handled: false,
    requestId: 'req-pino-crash',
    path: 'report.build',
    type: 'query',
    source: 'request',
    msg: 'INTERNAL (500) on report.build: PoolExhausted: pool exhausted',
  })
  // pino's `err` serializer would have renamed the type to `Object`; `error` keeps it as logged
  const error = line.error as { type: string; message: string; stack: string; cause: Record<string, string>[] }
  expect(error).toMatchObject({ type: 'PoolExhausted', message: 'pool exhausted' })
  expect(error.stack).toMatch(/^PoolExhausted: pool exhausted\n\s+at .*pino\.test\.ts/)
  expect(error.cause.map((c) => [c.type, c.message])).toEqual([
    ['Error', 'query timed out'],
    ['Error', 'connect ECONNREFUSED 10.0.0.5:5432'],
  ])
  expect(error.cause.every((c) => /\n\s+at /.test(c.stack ?? ''))).toBe(true)
})

test('a declared error: level 30, its code and data-free error, no stack', async () => {
  const res = await fetch(`${url}/order?input=${encodeURIComponent(JSON.stringify({ id: 'ord_9' }))}`, {
    headers: { 'x-request-id': 'req-pino-404' },
  })
  expect(res.status).toBe(404)
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({
    level: 30,
    service: 'orders',
    code: 'ORDER_NOT_FOUND',
    status: 404,
    handled: true,
    requestId: 'req-pino-404',
    path: 'order',
    error: { type: 'FaultlineError', message: 'Order not found' },
  })
  expect(lines[0]?.error).not.toHaveProperty('stack')
})

test("a task's failure: its id, name and attempt, the request id that queued it, and the bindings", async () => {
  const res = await fetch(`${url}/checkout`, {
    method: 'POST',
    headers: { 'x-request-id': 'req-pino-task', 'content-type': 'application/json' },
    body: '{}',
  })
  const { taskId } = (await res.json()).result.data as { taskId: string }
  await fl.tasks.drain()
  const taskLines = lines.filter((l) => l.source === 'task')
  expect(taskLines).toHaveLength(1)
  expect(taskLines[0]).toMatchObject({
    level: 50,
    service: 'orders',
    region: 'eu-west-1',
    code: 'INTERNAL',
    handled: false,
    requestId: 'req-pino-task',
    taskId,
    task: 'send-receipt',
    attempt: 1,
    error: { type: 'TypeError', stack: expect.stringContaining('pino.test.ts') },
  })
})
