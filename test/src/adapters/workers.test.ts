// The fetch adapter under a real Workers runtime: workerd, run by miniflare, with no Node.js
// compatibility flag. The worker is bundled from source as a production build would bundle it.
import type { Readable } from 'node:stream'
import { type FetchInit, faultlineFetch, faultlineLink, isFaultlineError, safe, waitForTask } from '@faultline/client'
import { createTRPCClient, httpLink } from '@trpc/client'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { bundleWorker } from './workers/bundle'
import type { WorkerRouter } from './workers/worker'

let script: string
let mf: Miniflare
/** The worker's console, one JSON log line each (Faultline's default logger writes there). */
const logged: Record<string, unknown>[] = []

beforeAll(async () => {
  script = await bundleWorker()
  mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: '2026-04-01',
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      for (const stream of [stdout, stderr]) {
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => {
          for (const line of chunk.split('\n')) if (line.startsWith('{')) logged.push(JSON.parse(line))
        })
      }
    },
  })
  await mf.ready
}, 60_000)
beforeEach(() => {
  logged.length = 0
})
afterAll(() => mf?.dispose())

// miniflare types its fetch with its own copy of undici's types
const call = (path: string, init: FetchInit = {}) =>
  mf.dispatchFetch(`http://worker.test/trpc/${path}`, init as never) as unknown as Promise<Response>

function client(requestId: string) {
  return createTRPCClient<WorkerRouter>({
    links: [
      faultlineLink(),
      httpLink({
        url: 'http://worker.test/trpc',
        headers: { 'x-request-id': requestId },
        fetch: faultlineFetch((url, init) => call(String(url).replace('http://worker.test/trpc/', ''), init)),
      }),
    ],
  })
}

/** Waits until the worker's console has a line matching `match` (its output arrives on its own schedule). */
async function logLine(match: (line: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 100 && !logged.some(match); i++) await new Promise((r) => setTimeout(r, 20))
  return logged.filter(match)
}

test('the bundle imports no Node.js built-in', () => {
  expect(script).not.toMatch(/\bfrom\s*["']node:|\brequire\(["']node:/)
})

test('a declared error: its status, the envelope and the request id header', async () => {
  const res = await call(`order?input=${encodeURIComponent(JSON.stringify({ id: 'ord_404' }))}`, {
    headers: { 'x-request-id': 'wk-404' },
  })
  expect(res.status).toBe(404)
  expect(res.headers.get('x-request-id')).toBe('wk-404')
  const body = (await res.json()) as { error: { data: { error: unknown } } }
  expect(body.error.data.error).toEqual({
    v: 1,
    code: 'ORDER_NOT_FOUND',
    status: 404,
    message: 'Order not found',
    data: { orderId: 'ord_404' },
    retry: { retryable: false },
    requestId: 'wk-404',
  })
  const lines = await logLine((l) => l.requestId === 'wk-404')
  expect(lines).toMatchObject([{ level: 'info', code: 'ORDER_NOT_FOUND', path: 'order' }])
})

test('a crash in a production build is redacted; the log keeps what the client never sees', async () => {
  const res = await call('crash', { headers: { 'x-request-id': 'wk-500' } })
  expect(res.status).toBe(500)
  const text = await res.text()
  expect(JSON.parse(text).error.data.error).toEqual({
    v: 1,
    code: 'INTERNAL',
    status: 500,
    message: 'Internal server error',
    retry: { retryable: false },
    requestId: 'wk-500',
  })
  expect(text).not.toContain('secret_orders')
  const lines = await logLine((l) => l.requestId === 'wk-500')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({ level: 'error', code: 'INTERNAL', handled: false })
  expect(JSON.stringify(lines[0]?.error)).toContain('no such table: secret_orders')
})

test('a request without x-request-id gets a fresh one in the header and the envelope', async () => {
  const res = await call('crash')
  const id = res.headers.get('x-request-id')
  expect(id).toMatch(/^req_[0-9a-f]{32}$/)
  expect(((await res.json()) as { error: { data: { error: { requestId: string } } } }).error.data.error.requestId).toBe(
    id,
  )
})

test('the typed client rehydrates the errors the worker sends', async () => {
  const c = client('wk-client')
  const [order, notFound] = await safe(c.order.query({ id: 'ord_9' }))
  expect(order).toBeUndefined()
  if (!isFaultlineError(notFound, 'ORDER_NOT_FOUND')) throw new Error(`expected ORDER_NOT_FOUND, got ${notFound}`)
  expect(notFound.details.orderId).toBe('ord_9')
  expect(notFound.requestId).toBe('wk-client')
  const [, crash] = await safe(c.crash.query())
  expect(crash).toMatchObject({ code: 'INTERNAL', status: 500, message: 'Internal server error' })
  const [, invalid] = await safe(c.order.query({ id: 7 as unknown as string }))
  expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', issues: [{ pointer: '/id' }] })
  expect(await c.order.query({ id: 'ord_1' })).toEqual({ id: 'ord_1', total: 42 })
})

test('a background task runs after the response, kept alive by waitUntil; its failure is typed and logged once', async () => {
  const c = client('wk-task')
  const { receiptTask } = await c.checkout.mutate({ email: 'ada@bounce.test' })
  // the task throws INTERNAL if it started before its response; RECEIPT_BOUNCED means it ran after, to the end
  const [, err] = await safe(waitForTask(c.tasks, receiptTask, { intervalMs: 50, timeoutMs: 10_000 }))
  if (!isFaultlineError(err, 'RECEIPT_BOUNCED')) throw new Error(`expected RECEIPT_BOUNCED, got ${err}`)
  expect(err.details).toEqual({ email: 'ada@bounce.test' })
  expect(err.requestId).toBe('wk-task')
  const lines = await logLine((l) => l.taskId === receiptTask)
  expect(lines).toMatchObject([{ level: 'info', code: 'RECEIPT_BOUNCED', source: 'task', requestId: 'wk-task' }])
  expect(lines).toHaveLength(1)
})

test("tasks of later and concurrent requests run too: none uses what another request's context made", async () => {
  const c = client('wk-many')
  const emails = ['a@example.test', 'b@example.test', 'c@example.test']
  const first = await c.checkout.mutate({ email: 'first@example.test' })
  const overlapping = await Promise.all(emails.map((email) => c.checkout.mutate({ email })))
  const records = await Promise.all(
    [first, ...overlapping].map((o) => waitForTask(c.tasks, o.receiptTask, { intervalMs: 50, timeoutMs: 10_000 })),
  )
  expect(records.map((r) => [r.status, r.attempts])).toEqual(Array(4).fill(['succeeded', 1]))
})
