// The BullMQ runner across processes, against a real Redis: API processes that
// only enqueue and serve status, workers that run the tasks, one of them killed
// mid-task. The behaviour every runner shares is in background.test.ts.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createBullmqRunner, type StartWorkerOptions, startWorker } from '@faultline/bullmq'
import { faultlineLink, isFaultlineError, waitForTask } from '@faultline/client'
import { createApp } from '@faultline/example-api'
import { type AppRouter, createApi } from '@faultline/example-api/router'
import { createFaultline, defineTask, type ReportEvent } from '@faultline/server'
import { createTRPCClient, httpLink } from '@trpc/client'
import { initTRPC } from '@trpc/server'
import superjson from 'superjson'
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { plainJson } from './fixtures/app'
import { listen } from './fixtures/listen'
import { freePort, type RedisServer, startRedis } from './fixtures/redis'
import { taskRunners } from './fixtures/task-runners'
import { buildTasksApp, type TasksRouter, taskErrors } from './fixtures/tasks-app'

const { redis } = taskRunners('bullmq')

let cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  cleanups = []
})

let queues = 0
const freshQueue = () => `bullmq-${process.pid}-${++queues}`

/** An API process: enqueues and serves status, runs nothing. */
async function apiProcess(queueName: string) {
  const runner = createBullmqRunner({ connection: redis().connection, queueName })
  const app = buildTasksApp({ runner: { runner, start() {} } })
  const served = await listen(app.server)
  cleanups.push(async () => {
    await served.close()
    await runner.close()
  })
  return { ...app, runner, url: served.url }
}

/** A worker process: the same Faultline set-up, working the queue. */
function workerProcess(queueName: string, opts: StartWorkerOptions = {}, timeoutMs?: number) {
  const runner = createBullmqRunner({ connection: redis().connection, queueName })
  const app = buildTasksApp({ runner: { runner, start() {} }, ...(timeoutMs ? { timeoutMs } : {}) })
  const worker = startWorker(runner, opts)
  cleanups.push(async () => {
    await worker.close({ timeoutMs: 1000 })
    await runner.close()
  })
  return { ...app, runner, worker }
}

function client(url: string, requestId?: string) {
  return createTRPCClient<TasksRouter>({
    links: [
      faultlineLink(),
      httpLink({ url, transformer: plainJson, ...(requestId ? { headers: { 'x-request-id': requestId } } : {}) }),
    ],
  })
}

const taskReports = (app: { reports: ReportEvent[] }) => app.reports.filter((r) => r.source === 'task')

test('a failure on a worker: reported once there with the request id that queued it, stored on the job, served by any API process as the typed error', async () => {
  const queueName = freshQueue()
  const first = await apiProcess(queueName)
  const second = await apiProcess(queueName)
  const worker = workerProcess(queueName)

  const { taskId } = await client(first.url, 'req_place_order_1').order.create.mutate({
    email: 'full@example.test',
    mode: 'domain',
  })
  // another API process answers for it, from what the job carries
  const err: unknown = await waitForTask(client(second.url).tasks, taskId, { intervalMs: 20 }).catch((e: unknown) => e)
  if (!isFaultlineError(err, 'DELIVERY_FAILED')) throw new Error(`expected DELIVERY_FAILED, got ${String(err)}`)
  expect(err.details).toEqual({ email: 'full@example.test' })
  expect(err.requestId).toBe('req_place_order_1')

  expect(taskReports(worker)).toEqual([
    expect.objectContaining({
      code: 'DELIVERY_FAILED',
      handled: true,
      taskId,
      attempt: 1,
      requestId: 'req_place_order_1',
    }),
  ])
  expect(worker.log.lines.filter((l) => l.obj.source === 'task')).toEqual([
    expect.objectContaining({ level: 'info', obj: expect.objectContaining({ code: 'DELIVERY_FAILED', taskId }) }),
  ])
  expect(taskReports(first)).toEqual([])
  expect(taskReports(second)).toEqual([])

  // not retryable: it stopped at once, though the task allows three attempts
  const job = await first.runner.queue.getJob(taskId)
  expect(job?.opts.attempts).toBe(3)
  expect(job?.attemptsMade).toBe(1)
  expect(job?.failedReason).toBe('DELIVERY_FAILED: Receipt could not be delivered')
  expect(job?.data.error).toEqual((await second.fl.tasks.status(taskId))?.error)
  expect(job?.data.error).toMatchObject({ code: 'DELIVERY_FAILED', requestId: 'req_place_order_1' })
})

test('a crash on a worker is redacted on the job as in a response: nothing of what was thrown reaches Redis', async () => {
  const queueName = freshQueue()
  const api = await apiProcess(queueName)
  const worker = workerProcess(queueName)
  const { taskId } = await client(api.url).order.create.mutate({ email: 'a@example.test', mode: 'crash' })
  await api.runner.idle()
  expect(await api.fl.tasks.status(taskId)).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: { code: 'INTERNAL', message: 'Internal server error' },
  })
  const job = await api.runner.queue.getJob(taskId)
  expect(JSON.stringify(job?.asJSON())).not.toContain('smtp')
  // the worker's log has the real error, with its stack
  expect(worker.log.lines.find((l) => l.obj.taskId === taskId)).toMatchObject({
    level: 'error',
    obj: { handled: false, error: { type: 'TypeError', message: expect.stringContaining('smtp') } },
  })
})

test('retryable failures are retried by BullMQ on the worker, with the attempts the task allows', async () => {
  const queueName = freshQueue()
  const api = await apiProcess(queueName)
  const worker = workerProcess(queueName, {}, 50)
  const { taskId } = await client(api.url).order.create.mutate({ email: 'a@example.test', mode: 'hang' })
  await api.runner.idle()
  // a hang times out (TIMEOUT is retryable) on each of its three attempts
  expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'TIMEOUT' } })
  expect(taskReports(worker).map((r) => [r.code, r.attempt])).toEqual([
    ['TIMEOUT', 1],
    ['TIMEOUT', 2],
    ['TIMEOUT', 3],
  ])
  expect((await api.runner.queue.getJob(taskId))?.attemptsMade).toBe(3)
})

test('watch streams the states of a task run by a worker elsewhere', async () => {
  const queueName = freshQueue()
  const api = await apiProcess(queueName)
  workerProcess(queueName)
  const { taskId } = await client(api.url).order.create.mutate({ email: 'a@example.test', mode: 'flaky' })
  const caller = api.createCaller({ requestId: 'req_watch' })
  const seen: string[] = []
  for await (const record of await caller.tasks.watch({ id: taskId })) seen.push(record.status)
  expect(seen.at(-1)).toBe('succeeded')
  expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'succeeded', attempts: 3 })
})

test('a payload that cannot travel as JSON is refused at enqueue: the call fails, nothing is queued', async () => {
  const runner = createBullmqRunner({ connection: redis().connection, queueName: freshQueue() })
  cleanups.push(() => runner.close())
  const stamp = defineTask({ name: 'stamp', payload: z.object({ at: z.date() }), run: () => {} })
  const fl = createFaultline({ errors: taskErrors, logger: false, background: { tasks: [stamp], runner } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure.concat(fl.background).mutation(({ ctx }) => ctx.background.enqueue('stamp', { at: new Date(0) })),
  })
  await expect(t.createCallerFactory(router)({ requestId: 'req_stamp' }).go()).rejects.toThrow(
    /^enqueue: the payload of stamp cannot travel on the queue: a Date at at \(it would arrive as a string\)$/,
  )
  await runner.idle()
  expect(await runner.queue.getJobCountByTypes('completed', 'failed')).toBe(0)
})

test('the example service as two processes: the API enqueues, the worker sends the receipt, the page gets the typed bounce', async () => {
  const queueName = freshQueue()
  const apiRunner = createBullmqRunner({ connection: redis().connection, queueName })
  const api = await listen(createApp({ logger: false, runner: apiRunner }).server)
  const workerRunner = createBullmqRunner({ connection: redis().connection, queueName })
  createApi({ logger: false, runner: workerRunner })
  const worker = startWorker(workerRunner)
  cleanups.push(async () => {
    await api.close()
    await worker.close({ timeoutMs: 1000 })
    await Promise.all([apiRunner.close(), workerRunner.close()])
  })
  const c = createTRPCClient<AppRouter>({
    links: [faultlineLink(), httpLink({ url: `${api.url}/trpc`, transformer: superjson })],
  })
  const { receiptTaskId } = await c.order.create.mutate({ sku: 'sku-mug', quantity: 1, email: 'ada@bounce.test' })
  const err: unknown = await waitForTask(c.tasks, receiptTaskId, { intervalMs: 50 }).catch((e: unknown) => e)
  if (!isFaultlineError(err, 'RECEIPT_BOUNCED')) throw new Error(`expected RECEIPT_BOUNCED, got ${String(err)}`)
  expect(err.details).toEqual({ email: 'ada@bounce.test' })
})

test.each([
  ['stalled more often than maxStalledCount allows', { maxStalledCount: 0 }],
  ['started more often than maxStartedAttempts allows', { maxStartedAttempts: 1 }],
])(
  'a job %s is failed by BullMQ itself: still recorded with an envelope and reported once',
  async (_, limit) => {
    const queueName = freshQueue()
    const api = await apiProcess(queueName)
    // a worker that stops renewing its lock mid-task, as a frozen or dead one would
    const frozen = workerProcess(queueName, { lockDuration: 500, stalledInterval: 200 }, 60_000)
    const { taskId } = await client(api.url, 'req_stalled').order.create.mutate({
      email: 'a@example.test',
      mode: 'hang',
    })
    await vi.waitFor(async () => expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'running' }), {
      timeout: 5_000,
      interval: 20,
    })
    await frozen.worker.worker.close(true)
    // the job fails at its next pick-up, without running
    const strict = workerProcess(queueName, { ...limit, stalledInterval: 200 })
    await vi.waitFor(async () => expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'failed' }), {
      timeout: 10_000,
      interval: 50,
    })
    await vi.waitFor(() => expect(taskReports(strict)).toHaveLength(1), { timeout: 5_000 })
    expect(taskReports(strict)).toEqual([
      // the attempt that was lost, not the pick-up that failed the job without running it
      expect.objectContaining({ code: 'UNAVAILABLE', taskId, attempt: 1, requestId: 'req_stalled', handled: true }),
    ])
    expect(strict.runs).toEqual([])
    await vi.waitFor(
      async () =>
        expect(await api.fl.tasks.status(taskId)).toMatchObject({
          status: 'failed',
          error: { code: 'UNAVAILABLE', message: 'Task send-receipt was stopped mid-task: its worker was lost' },
        }),
      { timeout: 5_000 },
    )
  },
  20_000,
)

test('the job is in Redis by the time the call that queued it returns', async () => {
  const queueName = freshQueue()
  const runner = createBullmqRunner({ connection: redis().connection, queueName })
  const app = buildTasksApp({ runner: { runner, start() {} } })
  cleanups.push(() => runner.close())
  const { taskId } = await app.createCaller({ requestId: 'req_durable' }).order.create({
    email: 'a@example.test',
    mode: 'ok',
  })
  // read at once, with no worker: after the response, this read would be sent before the add
  expect(await runner.queue.getJobState(taskId)).toBe('waiting')
  expect((await runner.queue.getJob(taskId))?.data).toMatchObject({ requestId: 'req_durable' })
})

/** An API process whose Redis is at `port`, answering over HTTP; `post` calls order.create. */
async function apiOn(port: number, opts: { durability?: 'after-response'; enqueueTimeoutMs: number }) {
  const runner = createBullmqRunner({ connection: { host: '127.0.0.1', port }, queueName: freshQueue(), ...opts })
  const app = buildTasksApp({ runner: { runner, start() {} } })
  const served = await listen(app.server)
  cleanups.push(async () => {
    await served.close()
    await runner.close()
  })
  const post = (email: string) =>
    fetch(`${served.url}/order.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, mode: 'ok' }),
    })
  return { ...app, runner, post }
}

test('Redis unreachable: the call is answered UNAVAILABLE with Retry-After once the add gives up, reported once', async () => {
  const api = await apiOn(await freePort(), { enqueueTimeoutMs: 300 })
  const started = Date.now()
  const res = await api.post('a@example.test')
  expect(Date.now() - started).toBeGreaterThanOrEqual(300)
  expect(res.status).toBe(503)
  expect(res.headers.get('retry-after')).toBe('1')
  const body = (await res.json()) as { error: { data: { error: unknown } } }
  expect(body.error.data.error).toMatchObject({
    code: 'UNAVAILABLE',
    message: 'Background work could not be queued; try again shortly',
    retry: { retryable: true, afterMs: 1000 },
  })
  expect(api.reports).toEqual([expect.objectContaining({ source: 'request', code: 'UNAVAILABLE', status: 503 })])
  expect(api.log.lines.filter((l) => l.obj.code === 'UNAVAILABLE')).toHaveLength(1)
  expect(api.fl.tasks.failures()).toEqual([])
})

test('Redis back within the deadline: the call waits for it and answers 200, its job in Redis', async () => {
  const port = await freePort()
  let late: RedisServer | undefined
  // stopped after the API's runner has closed (cleanups run in reverse)
  cleanups.push(async () => late?.stop())
  const api = await apiOn(port, { enqueueTimeoutMs: 5_000 })
  const answered = api.post('a@example.test')
  await new Promise((resolve) => setTimeout(resolve, 300))
  late = await startRedis({ port })
  const res = await answered
  expect(res.status).toBe(200)
  const { result } = (await res.json()) as { result: { data: { taskId: string } } }
  expect(await api.runner.queue.getJobState(result.data.taskId)).toBe('waiting')
  expect(api.reports).toEqual([])
})

test('an add that lands after its call was answered UNAVAILABLE is removed once Redis answers: the task never runs', async () => {
  const port = await freePort()
  let late: RedisServer | undefined
  cleanups.push(async () => late?.stop())
  const api = await apiOn(port, { enqueueTimeoutMs: 200 })
  const removed: string[] = []
  api.runner.queue.on('removed', (id) => void removed.push(String(id)))
  expect((await api.post('a@example.test')).status).toBe(503)
  // the add waited for a first connection: it goes out once Redis is there, and is taken back
  late = await startRedis({ port })
  await vi.waitFor(() => expect(removed).toHaveLength(1), { timeout: 5_000, interval: 20 })
  expect(removed[0]).toMatch(/^task_/)
  expect(await api.runner.queue.getJobState(removed[0] ?? '')).toBe('unknown')
  expect(api.log.lines.filter((l) => l.msg.includes('taken by a worker before it could be recalled'))).toEqual([])
})

test("durability 'after-response': a task whose add gives up after its 200 is reported failed, never silently lost", async () => {
  const api = await apiOn(await freePort(), { durability: 'after-response', enqueueTimeoutMs: 100 })
  const res = await api.post('a@example.test')
  expect(res.status).toBe(200)
  const { result } = (await res.json()) as { result: { data: { taskId: string } } }
  await vi.waitFor(() => expect(api.fl.tasks.failures()).toHaveLength(1), { timeout: 2_000 })
  expect(api.reports).toEqual([
    expect.objectContaining({ source: 'task', code: 'UNAVAILABLE', taskId: result.data.taskId, attempt: 0 }),
  ])
})

test('a worker that lost its job mid-attempt and fails it late reports nothing: the attempt was reported once, by the worker that re-ran it', async () => {
  const queueName = freshQueue()
  const api = await apiProcess(queueName)
  // a worker that stops renewing its lock, as a frozen one would, and runs no stalled-job check
  const frozen = workerProcess(queueName, {
    concurrency: 1,
    lockDuration: 300,
    skipLockRenewal: true,
    skipStalledCheck: true,
  })
  const { taskId } = await client(api.url, 'req_frozen').order.create.mutate({
    email: 'a@example.test',
    mode: 'late-fail-once',
  })
  await vi.waitFor(() => expect(frozen.runs).toHaveLength(1), { timeout: 5_000, interval: 10 })
  // its lock lapses; this worker's stalled-job check puts the job back and runs it again
  const other = workerProcess(queueName, { stalledInterval: 100 })
  await vi.waitFor(async () => expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'succeeded' }), {
    timeout: 10_000,
    interval: 20,
  })
  expect(other.runs).toEqual([expect.objectContaining({ taskId, attempt: 2 })])
  // the frozen worker's attempt has failed by now, after its job was taken from it
  // (BullMQ refuses its move of a job it no longer holds: a fault of the worker's own, counted)
  await vi.waitFor(() => expect(frozen.fl.faults().tasks).toBeGreaterThan(0), { timeout: 5_000 })
  expect(frozen.runs).toEqual([expect.objectContaining({ taskId, attempt: 1 })])
  expect(taskReports(other)).toEqual([
    expect.objectContaining({ code: 'UNAVAILABLE', taskId, attempt: 1, requestId: 'req_frozen' }),
  ])
  expect(taskReports(frozen)).toEqual([])
  expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'succeeded', attempts: 2 })
}, 20_000)

const workerScript = fileURLToPath(new URL('./fixtures/bullmq-worker.ts', import.meta.url))

/** Starts the worker script in a process of its own; resolves once it takes tasks. */
function spawnWorker(queueName: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=@faultline/source', '--import', 'tsx', workerScript], {
    env: { ...process.env, REDIS_URL: redis().url, QUEUE_NAME: queueName },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  cleanups.push(async () => void child.kill('SIGKILL'))
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child)
    })
    child.once('exit', (code) =>
      reject(new Error(`the worker process exited (${code}) before it was ready: ${stderr}`)),
    )
  })
}

test('a worker killed mid-task (SIGKILL): the stalled job goes back to the queue, another worker finishes it, the lost attempt is reported once', async () => {
  const queueName = freshQueue()
  const api = await apiProcess(queueName)
  const child = await spawnWorker(queueName)
  const { taskId } = await client(api.url, 'req_killed_worker').order.create.mutate({
    email: 'a@example.test',
    mode: 'slow-once',
  })
  await vi.waitFor(async () => expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'running' }), {
    timeout: 10_000,
    interval: 20,
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGKILL')
  await exited
  // the job is still active in Redis, with nobody working on it
  expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'running', attempts: 1 })

  // a replacement worker whose stalled-job check runs often
  const replacement = workerProcess(queueName, { stalledInterval: 300 })
  await vi.waitFor(async () => expect(await api.fl.tasks.status(taskId)).toMatchObject({ status: 'succeeded' }), {
    timeout: 15_000,
    interval: 50,
  })
  expect(await api.fl.tasks.status(taskId)).toMatchObject({ attempts: 2, requestId: 'req_killed_worker' })
  expect(replacement.runs).toEqual([expect.objectContaining({ taskId, attempt: 2 })])
  expect(taskReports(replacement)).toEqual([
    expect.objectContaining({
      code: 'UNAVAILABLE',
      handled: true,
      taskId,
      attempt: 1,
      requestId: 'req_killed_worker',
    }),
  ])
  expect(taskReports(api)).toEqual([])
}, 30_000)
