// @faultline/otel against the real OpenTelemetry SDK, over real HTTP: each request runs in a span
// of its own, as HTTP instrumentation would make it, and Faultline records its failures there.
import { createServer } from 'node:http'
import { defineErrors } from '@faultline/contract'
import { ERROR_COUNTER, type OpenTelemetryOptions, withOpenTelemetry } from '@faultline/otel'
import { createFaultline, type FaultlineOptions, type ReportEvent } from '@faultline/server'
import { SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { afterEach, beforeAll, beforeEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { listen } from './fixtures/listen'
import { type OtelSdk, otelSdk, registerOtelGlobals } from './fixtures/otel'
import { sendReceipt } from './fixtures/otel-receipts'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
})

const SECRET = 'connect ECONNREFUSED 10.0.0.5:5432 (table users_secret)'

beforeAll(registerOtelGlobals)

let sdk: OtelSdk
let closeApp: (() => Promise<void>) | undefined
beforeEach(() => {
  sdk = otelSdk()
})
afterEach(async () => {
  await closeApp?.()
  closeApp = undefined
  await sdk.shutdown()
})

/** A tRPC app on the standalone adapter, each request inside a `<METHOD> /trpc` span. */
async function startApp(
  opts: { otel?: OpenTelemetryOptions; own?: Pick<FaultlineOptions<typeof errors>, 'traceId'> } = {},
) {
  const reports: ReportEvent[] = []
  const fl = createFaultline(
    withOpenTelemetry(
      {
        errors,
        logger: false,
        expose: 'safe',
        report: (event) => void reports.push(event),
        background: { tasks: [sendReceipt] },
        ...opts.own,
      },
      { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider, ...opts.otel },
    ),
  )
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    user: t.procedure
      .errors(fl.declare('USER_NOT_FOUND'))
      .input(z.object({ id: z.string() }))
      .query(({ input }) => {
        throw errors.USER_NOT_FOUND({ userId: input.id })
      }),
    crash: t.procedure.query(() => {
      throw new Error(SECRET)
    }),
    order: t.procedure
      .concat(fl.background)
      .mutation(({ ctx }) => ctx.background.enqueue('send-receipt', { email: 'ada@example.test' })),
    updates: t.procedure.subscription(async function* () {
      yield 1
      throw errors.USER_NOT_FOUND({ userId: 'u_gone' })
    }),
  })
  const handler = createHTTPHandler({ router, createContext: fl.createContext(), ...fl.adapter() })
  const server = createServer((req, res) =>
    sdk.tracer.startActiveSpan(`${req.method} /trpc`, (span) => {
      res.once('close', () => span.end())
      handler(req, res)
    }),
  )
  const served = await listen(server)
  closeApp = served.close
  return { fl, reports, url: served.url }
}

/** The request's span, once its response has closed. */
async function requestSpan(): Promise<ReadableSpan> {
  return vi.waitFor(() => {
    const span = sdk.spans().find((s) => s.name.endsWith(' /trpc'))
    if (!span) throw new Error('the request span has not ended yet')
    return span
  })
}

const query = (url: string, path: string, input?: unknown) =>
  fetch(`${url}/${path}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`)

test('a declared error: an exception event and error.type on the request span, which stays unset, not ERROR', async () => {
  const { url } = await startApp()
  const res = await query(url, 'user', { id: 'u_1' })
  const body = await res.json()
  const span = await requestSpan()

  expect(res.status).toBe(404)
  expect(span.status.code).toBe(SpanStatusCode.UNSET)
  expect(span.attributes['error.type']).toBe('USER_NOT_FOUND')
  expect(span.events).toEqual([
    expect.objectContaining({
      name: 'exception',
      attributes: {
        'exception.type': 'FaultlineError',
        'exception.message': 'User not found',
        'faultline.code': 'USER_NOT_FOUND',
        'faultline.handled': true,
        'faultline.request_id': body.error.data.error.requestId,
        'faultline.path': 'user',
      },
    }),
  ])
  // traceId comes from the active span by default
  expect(body.error.data.error.traceId).toBe(span.spanContext().traceId)
  expect(await sdk.counted(ERROR_COUNTER)).toEqual([
    { attributes: { code: 'USER_NOT_FOUND', status: 404, handled: true, source: 'request' }, value: 1 },
  ])
})

test('a crash marks the request span ERROR, with the message and stack the log gets; the client still gets the redacted envelope', async () => {
  const { url, reports } = await startApp()
  const res = await query(url, 'crash')
  const text = await res.text()
  const span = await requestSpan()

  expect(res.status).toBe(500)
  expect(text).not.toContain('ECONNREFUSED')
  expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: SECRET })
  expect(span.attributes['error.type']).toBe('INTERNAL')
  const [event] = span.events
  expect(event?.attributes).toMatchObject({
    'exception.type': 'Error',
    'exception.message': SECRET,
    'exception.stacktrace': expect.stringContaining('otel.test.ts'),
    'faultline.handled': false,
  })
  expect(await sdk.counted(ERROR_COUNTER)).toEqual([
    { attributes: { code: 'INTERNAL', status: 500, handled: false, source: 'request' }, value: 1 },
  ])
  // the app's own report runs too
  expect(reports).toEqual([expect.objectContaining({ code: 'INTERNAL', handled: false, source: 'request' })])
})

test('with redact, a crash is recorded as the client saw it: the generic message, no stack', async () => {
  const { url } = await startApp({ otel: { redact: true } })
  await (await query(url, 'crash')).text()
  const span = await requestSpan()
  expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Internal server error' })
  expect(span.events[0]?.attributes).toMatchObject({ 'exception.message': 'Internal server error' })
  expect(span.events[0]?.attributes).not.toHaveProperty('exception.stacktrace')
  expect(JSON.stringify(span.events)).not.toContain('ECONNREFUSED')
})

test("a validation failure is expected: its one-line summary on the event, not the validator's dump, and no ERROR", async () => {
  const { url } = await startApp()
  const res = await query(url, 'user', { id: 5 })
  await res.text()
  const span = await requestSpan()
  expect(res.status).toBe(400)
  expect(span.status.code).toBe(SpanStatusCode.UNSET)
  expect(span.attributes['error.type']).toBe('VALIDATION_FAILED')
  expect(span.events[0]?.attributes?.['exception.message']).toMatch(/^Validation failed: id: /)
  expect(span.events[0]?.attributes).not.toHaveProperty('exception.stacktrace')
  expect(await sdk.counted(ERROR_COUNTER)).toEqual([
    { attributes: { code: 'VALIDATION_FAILED', status: 400, handled: true, source: 'request' }, value: 1 },
  ])
})

test('a failing background task runs in a span of its own, linked to the request span, where its crash is recorded', async () => {
  const { url, fl, reports } = await startApp()
  const res = await fetch(`${url}/order`, { method: 'POST', headers: { 'content-type': 'application/json' } })
  const { result } = await res.json()
  const request = await requestSpan()
  await fl.tasks.drain()

  const task = sdk.spans().find((s) => s.name === 'task send-receipt')
  if (!task) throw new Error('no task span')
  // a trace of its own, linked to the request's span, not a child of it
  const { traceId, spanId } = request.spanContext()
  expect(task.links).toEqual([{ context: expect.objectContaining({ traceId, spanId }) }])
  expect(task.parentSpanContext).toBeUndefined()
  expect(task.spanContext().traceId).not.toBe(traceId)
  expect(task.attributes).toMatchObject({
    'faultline.task.id': result.data,
    'faultline.task.name': 'send-receipt',
    'faultline.task.attempt': 1,
    'error.type': 'INTERNAL',
  })
  expect(task.status.code).toBe(SpanStatusCode.ERROR)
  expect(task.events[0]?.attributes).toMatchObject({
    'exception.type': 'TypeError',
    'exception.message': 'smtp refused ada@example.test',
  })
  // the request itself succeeded: nothing recorded on its span
  expect(request.events).toEqual([])
  expect(request.status.code).toBe(SpanStatusCode.UNSET)
  expect(await sdk.counted(ERROR_COUNTER)).toEqual([
    { attributes: { code: 'INTERNAL', status: 500, handled: false, source: 'task' }, value: 1 },
  ])
  // the envelope names the task's trace, where its failure is
  expect((await fl.tasks.status(result.data))?.error?.traceId).toBe(task.spanContext().traceId)
  expect(reports).toEqual([expect.objectContaining({ source: 'task', taskId: result.data })])
})

test('a subscription failure is counted with source subscription', async () => {
  const { url } = await startApp()
  const res = await fetch(`${url}/updates`, { headers: { accept: 'text/event-stream' } })
  const reader = res.body?.getReader()
  let stream = ''
  while (reader && !stream.includes('serialized-error')) {
    const { value, done } = await reader.read()
    if (done) break
    stream += new TextDecoder().decode(value)
  }
  await reader?.cancel()
  expect(stream).toContain('serialized-error')
  expect(await sdk.counted(ERROR_COUNTER)).toEqual([
    { attributes: { code: 'USER_NOT_FOUND', status: 404, handled: true, source: 'subscription' }, value: 1 },
  ])
})

test("the app's own traceId wins over the active span's", async () => {
  const { url } = await startApp({ own: { traceId: () => 'trace_from_the_app' } })
  const body = await (await query(url, 'user', { id: 'u_2' })).json()
  expect(body.error.data.error.traceId).toBe('trace_from_the_app')
})
