// Failures reach the real Sentry SDK through `sentryReport`, over real HTTP: crashes as unhandled
// exceptions with their own stack, expected errors kept out unless asked for, task failures tagged.
import { createServer } from 'node:http'
import { defineErrors } from '@faultline/contract'
import { type SentryReportOptions, sentryReport } from '@faultline/sentry'
import { createFaultline, defineTask, type ReportEvent } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { z } from 'zod'
import { plainJson } from './fixtures/app'
import { listen } from './fixtures/listen'
import { memoryLogger } from './fixtures/logger'
import { recordSentry, thrownException } from './fixtures/sentry'

const errors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, message: 'Order not found', data: z.object({ orderId: z.string() }) },
})

/** An error whose stack cannot be read: Sentry's SDK throws while capturing it. */
function unreadableStack() {
  const error = new Error('stack unavailable')
  Object.defineProperty(error, 'stack', {
    get() {
      throw new Error('no stack here')
    },
  })
  return error
}

async function startApp(options: SentryReportOptions<typeof errors> = {}) {
  const log = memoryLogger()
  const reports: ReportEvent[] = []
  const sendReceipt = defineTask({
    name: 'send-receipt',
    payload: z.object({ email: z.string() }),
    run({ email }) {
      // tRPC reads a thrown error's stack before any report; a task's error reaches Sentry untouched
      if (email === 'unreadable@example.test') throw unreadableStack()
      throw new TypeError("Cannot read properties of undefined (reading 'smtp')")
    },
  })
  const fl = createFaultline({
    errors,
    expose: 'safe',
    logger: log.logger,
    report: sentryReport({ errors, ...options, next: (e) => void reports.push(e) }),
    background: { tasks: [sendReceipt] },
  })
  const t = initTRPC
    .context<{ requestId: string }>()
    .create({ errorFormatter: fl.errorFormatter, transformer: plainJson })
  const router = t.router({
    report: t.procedure.query(() => {
      throw new Error('connection pool exhausted for db-primary', {
        cause: new Error('connect ECONNREFUSED 10.0.0.5:5432'),
      })
    }),
    order: t.procedure.input(z.object({ id: z.string() })).query(({ input }) => {
      throw errors.ORDER_NOT_FOUND({ orderId: input.id })
    }),
    checkout: t.procedure
      .concat(fl.background)
      .input(z.object({ email: z.string() }))
      .mutation(({ ctx, input }) => ({ taskId: ctx.background.enqueue('send-receipt', input) })),
  })
  const handler = createHTTPHandler({ router, createContext: fl.createContext(), ...fl.adapter() })
  const served = await listen(createServer(handler))
  const call = async (path: string, init: RequestInit & { requestId?: string; input?: unknown } = {}) => {
    const query = init.input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(init.input))}`
    const res = await fetch(`${served.url}/${path}${query}`, {
      ...init,
      headers: { 'x-request-id': init.requestId ?? 'req-default', 'content-type': 'application/json' },
    })
    return { status: res.status, text: await res.text() }
  }
  return { fl, log, reports, call, close: served.close }
}

const sentry = recordSentry()
let app: Awaited<ReturnType<typeof startApp>>
beforeAll(async () => {
  app = await startApp()
})
afterEach(() => {
  sentry.events.splice(0)
  sentry.setMode('ok')
  app.reports.splice(0)
  app.log.clear()
})
afterAll(async () => {
  await app.close()
  await sentry.close()
})

test('a crash in a procedure is captured unhandled, with its own stack, cause, tags and fingerprint', async () => {
  const res = await app.call('report', { requestId: 'req-crash-1' })
  expect(res.status).toBe(500)
  // the redaction contract towards clients is untouched
  expect(res.text).not.toContain('pool exhausted')
  expect(res.text).not.toContain('ECONNREFUSED')

  const [event] = await sentry.waitFor(1)
  const thrown = thrownException(event ?? {})
  expect(thrown).toMatchObject({
    type: 'Error',
    value: 'connection pool exhausted for db-primary',
    mechanism: { type: 'auto.faultline.request', handled: false },
  })
  const frames = thrown?.stacktrace?.frames ?? []
  expect(frames.some((f) => f.filename?.endsWith('test/src/sentry.test.ts') && f.in_app)).toBe(true)
  // Sentry's linked-errors integration follows the cause the procedure threw
  expect(event?.exception?.values?.map((v) => v.value)).toContain('connect ECONNREFUSED 10.0.0.5:5432')
  expect(event?.level).toBe('error')
  expect(event?.tags).toMatchObject({
    code: 'INTERNAL',
    status: '500',
    source: 'request',
    requestId: 'req-crash-1',
    path: 'report',
  })
  expect(event?.fingerprint).toEqual(['{{ default }}', 'faultline', 'INTERNAL'])
  expect(event?.contexts?.faultline).toMatchObject({
    code: 'INTERNAL',
    handled: false,
    message: 'Internal server error',
  })
})

test('a declared error is not sent by default, though the report hook saw it', async () => {
  const res = await app.call('order', { requestId: 'req-404', input: { id: 'ord_9' } })
  expect(res.status).toBe(404)
  expect(app.reports.map((r) => [r.code, r.handled])).toEqual([['ORDER_NOT_FOUND', true]])
  // a crash afterwards is the first event Sentry receives: nothing was sent for the 404
  await app.call('report', { requestId: 'req-after-404' })
  await sentry.flush()
  expect(sentry.events.map((e) => e.tags?.requestId)).toEqual(['req-after-404'])
})

test('a declared error is sent, handled and grouped by code, when sendExpected names it', async () => {
  const listed = await startApp({ sendExpected: ['ORDER_NOT_FOUND'] })
  const predicate = await startApp({ sendExpected: (e) => e.status === 404 })
  try {
    await listed.call('order', { requestId: 'req-listed', input: { id: 'ord_1' } })
    await predicate.call('order', { requestId: 'req-predicate', input: { id: 'ord_2' } })
    const events = await sentry.waitFor(2)
    for (const [event, requestId] of [
      [events[0], 'req-listed'],
      [events[1], 'req-predicate'],
    ] as const) {
      expect(thrownException(event ?? {})).toMatchObject({
        type: 'FaultlineError',
        mechanism: { type: 'auto.faultline.request', handled: true },
      })
      expect(event?.tags).toMatchObject({ code: 'ORDER_NOT_FOUND', status: '404', requestId, path: 'order' })
      expect(event?.fingerprint).toEqual(['faultline', 'ORDER_NOT_FOUND'])
      expect(event?.level).toBe('info')
    }
  } finally {
    await listed.close()
    await predicate.close()
  }
})

test('a failing background task is captured with its taskId, task name and request id', async () => {
  const res = await app.call('checkout', {
    method: 'POST',
    requestId: 'req-task-1',
    body: JSON.stringify({ email: 'a@example.test' }),
  })
  expect(res.status).toBe(200)
  const { taskId } = JSON.parse(res.text).result.data as { taskId: string }
  await app.fl.tasks.drain()
  const [event] = await sentry.waitFor(1)
  expect(thrownException(event ?? {})).toMatchObject({
    type: 'TypeError',
    value: "Cannot read properties of undefined (reading 'smtp')",
    mechanism: { type: 'auto.faultline.task', handled: false },
  })
  expect(event?.tags).toMatchObject({
    code: 'INTERNAL',
    source: 'task',
    taskId,
    task: 'send-receipt',
    requestId: 'req-task-1',
  })
  expect(event?.contexts?.faultline).toMatchObject({ attempt: 1 })
})

test.each([
  ['network-down', 'the transport cannot reach Sentry'],
  ['before-send-throws', 'beforeSend throws'],
] as const)('a crash is answered as ever when %s (%s)', async (mode, _why) => {
  sentry.setMode(mode)
  const res = await app.call('report', { requestId: `req-${mode}` })
  expect(res.status).toBe(500)
  expect(JSON.parse(res.text).error.data.error).toMatchObject({ code: 'INTERNAL', requestId: `req-${mode}` })
  expect(app.reports).toHaveLength(1)
  await sentry.flush()
  // Sentry recovers: the next crash is delivered
  sentry.setMode('ok')
  await app.call('report', { requestId: 'req-recovered' })
  await sentry.waitFor(1)
  expect(sentry.events.map((e) => e.tags?.requestId)).toEqual(['req-recovered'])
})

test('a report that throws never breaks the response: next still runs, the fault is logged and counted', async () => {
  const broken = await startApp({
    fingerprint: () => {
      throw new Error('fingerprint rules are broken')
    },
  })
  try {
    const res = await broken.call('report', { requestId: 'req-broken' })
    expect(res.status).toBe(500)
    expect(JSON.parse(res.text).error.data.error).toMatchObject({ code: 'INTERNAL', requestId: 'req-broken' })
    expect(broken.reports.map((r) => r.requestId)).toEqual(['req-broken'])
    expect(broken.fl.faults().report).toBe(1)
    expect(broken.log.lines.filter((l) => l.msg === 'faultline: the report hook failed')).toHaveLength(1)
  } finally {
    await broken.close()
  }
})

test('a task whose error the SDK cannot capture still fails cleanly: recorded, next run, fault counted', async () => {
  const before = app.fl.faults().report
  const res = await app.call('checkout', {
    method: 'POST',
    requestId: 'req-unreadable',
    body: JSON.stringify({ email: 'unreadable@example.test' }),
  })
  const { taskId } = JSON.parse(res.text).result.data as { taskId: string }
  await app.fl.tasks.drain()
  expect(await app.fl.tasks.status(taskId)).toMatchObject({ status: 'failed', error: { code: 'INTERNAL' } })
  expect(app.reports.map((r) => r.taskId)).toEqual([taskId])
  expect(app.fl.faults().report).toBe(before + 1)
  expect(app.log.lines.filter((l) => l.msg === 'faultline: the report hook failed')).toHaveLength(1)
})
