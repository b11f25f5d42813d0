// @faultline/otel across processes: a task queued by a request in this process runs on a BullMQ
// worker in another, with an OpenTelemetry SDK of its own, in a span linked to the request's span
// through the trace context carried in the job's data.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { createBullmqRunner } from '@faultline/bullmq'
import { ERROR_COUNTER } from '@faultline/otel'
import { SpanStatusCode } from '@opentelemetry/api'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { afterEach, beforeAll, expect, test, vi } from 'vitest'
import { listen } from './fixtures/listen'
import { otelSdk, registerOtelGlobals } from './fixtures/otel'
import { receiptsFaultline } from './fixtures/otel-receipts'
import { taskRunners } from './fixtures/task-runners'

const { redis } = taskRunners('bullmq')
beforeAll(registerOtelGlobals)

let cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  cleanups = []
})

/** A span as the worker process prints it. */
interface PrintedSpan {
  name: string
  traceId: string
  parent: string | undefined
  links: { traceId: string; spanId: string }[]
  status: { code: number; message?: string }
  attributes: Record<string, unknown>
  events: { name: string; attributes: Record<string, unknown> }[]
}

const workerScript = fileURLToPath(new URL('./fixtures/otel-bullmq-worker.ts', import.meta.url))

/** Starts the worker in a process of its own; resolves once it takes tasks, with the spans it ends. */
function spawnWorker(queueName: string): Promise<{ child: ChildProcess; spans: PrintedSpan[] }> {
  const child = spawn(process.execPath, ['--conditions=@faultline/source', '--import', 'tsx', workerScript], {
    env: { ...process.env, REDIS_URL: redis().url, QUEUE_NAME: queueName },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  cleanups.push(async () => void child.kill('SIGKILL'))
  const spans: PrintedSpan[] = []
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const lines = stdout.split('\n')
      stdout = lines.pop() ?? ''
      for (const line of lines) {
        if (line === 'ready') resolve({ child, spans })
        else if (line.startsWith('span ')) spans.push(JSON.parse(line.slice(5)) as PrintedSpan)
      }
    })
    child.once('exit', (code) =>
      reject(new Error(`the worker process exited (${code}) before it was ready: ${stderr}`)),
    )
  })
}

test('a task run by a worker in another process: its span is linked to the request span through the job data', async () => {
  const queueName = `otel-${process.pid}-${Date.now()}`
  const worker = await spawnWorker(queueName)

  // the API process: its own SDK, each request in a span
  const sdk = otelSdk()
  const runner = createBullmqRunner({ connection: redis().connection, queueName })
  const fl = receiptsFaultline(runner, { tracerProvider: sdk.tracerProvider, meterProvider: sdk.meterProvider })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    order: t.procedure
      .concat(fl.background)
      .mutation(({ ctx }) => ctx.background.enqueue('send-receipt', { email: 'ada@example.test' })),
  })
  const handler = createHTTPHandler({ router, createContext: fl.createContext(), ...fl.adapter() })
  const served = await listen(
    createServer((req, res) =>
      sdk.tracer.startActiveSpan('POST /trpc', (span) => {
        res.once('close', () => span.end())
        handler(req, res)
      }),
    ),
  )
  cleanups.push(async () => {
    await served.close()
    await runner.close()
    await sdk.shutdown()
  })

  const res = await fetch(`${served.url}/order`, { method: 'POST', headers: { 'content-type': 'application/json' } })
  const taskId: string = (await res.json()).result.data
  const requestId = res.headers.get('x-request-id')
  await runner.idle({ timeoutMs: 15_000 })
  const request = await vi.waitFor(() => {
    const span = sdk.spans().find((s) => s.name === 'POST /trpc')
    if (!span) throw new Error('the request span has not ended yet')
    return span
  })
  const { traceId, spanId } = request.spanContext()

  // the job in Redis carries the request's trace context, in W3C form
  const job = await runner.queue.getJob(taskId)
  expect(job?.data.carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-01` })

  const task = await vi.waitFor(
    () => {
      const span = worker.spans.find((s) => s.name === 'task send-receipt')
      if (!span) throw new Error('the worker has not ended its task span yet')
      return span
    },
    { timeout: 10_000 },
  )
  expect(task.links).toEqual([{ traceId, spanId }])
  expect(task.parent).toBeUndefined()
  expect(task.traceId).not.toBe(traceId)
  expect(task.attributes).toMatchObject({
    'faultline.task.id': taskId,
    'faultline.task.name': 'send-receipt',
    'faultline.task.attempt': 1,
    'faultline.request_id': requestId,
    'error.type': 'INTERNAL',
  })
  // the crash is recorded where it happened, on the worker's span
  expect(task.status).toEqual({ code: SpanStatusCode.ERROR, message: 'smtp refused ada@example.test' })
  expect(task.events).toEqual([
    {
      name: 'exception',
      attributes: expect.objectContaining({ 'exception.type': 'TypeError', 'faultline.code': 'INTERNAL' }),
    },
  ])
  // any API process serves the failure, with the trace to look in
  expect((await fl.tasks.status(taskId))?.error?.traceId).toBe(task.traceId)
  // the API process saw no failure of its own
  expect(request.events).toEqual([])
  expect(await sdk.counted(ERROR_COUNTER)).toEqual([])
}, 30_000)
