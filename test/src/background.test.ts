// Work that runs after the response was sent fails into the same contract:
// mapped by the same handlers, one log line, one report, never a crash.
// One suite, run against every runner: in this process, and on BullMQ with a real Redis.
import { FaultlineClientError, faultlineLink, isFaultlineError, safe, waitForTask } from '@faultline/client'
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { plainJson } from './fixtures/app'
import { RUNNERS, taskRunners } from './fixtures/task-runners'
import { type Mode, startTasksApp, type TasksRouter } from './fixtures/tasks-app'

type Started = Awaited<ReturnType<typeof startTasksApp>>
let app: Started | undefined
afterEach(async () => {
  await app?.fl.tasks.drain({ timeoutMs: 100 }).catch(() => {})
  await app?.close()
  app = undefined
})

function client(url: string, batch = false) {
  const opts = { url, transformer: plainJson }
  return createTRPCClient<TasksRouter>({ links: [faultlineLink(), batch ? httpBatchLink(opts) : httpLink(opts)] })
}

const taskLines = (a: Started) => a.log.lines.filter((l) => l.obj.source === 'task')
const taskReports = (a: Started) => a.reports.filter((r) => r.source === 'task')

describe.each(RUNNERS)('background tasks (%s runner)', (kind) => {
  const runners = taskRunners(kind)
  const start = (opts: { raiseUnexpected?: boolean; timeoutMs?: number } = {}) =>
    startTasksApp({ ...opts, runner: runners.create() })

  test('a task raising a domain error after a 200: mapped by the handler, one line marked handled, one report, nothing else printed', async () => {
    app = await start()
    const stderr = vi.spyOn(process.stderr, 'write')
    const stdout = vi.spyOn(process.stdout, 'write')
    try {
      const res = await client(app.url).order.create.mutate({ email: 'full@example.test', mode: 'domain' })
      expect(res.orderId).toBe('ord_1')
      await app.settle()
      expect(app.runs).toEqual([expect.objectContaining({ taskId: res.taskId, attempt: 1 })])
      // in process, a task starts once the response has gone; a queue holds it durably before the response
      if (kind === 'in-process') expect(app.runs[0]?.responseFinished).toBe(true)
      expect(taskLines(app)).toHaveLength(1)
      expect(taskLines(app)[0]).toMatchObject({
        level: 'info',
        obj: { code: 'DELIVERY_FAILED', handled: true, taskId: res.taskId, task: 'send-receipt', attempt: 1 },
      })
      expect(taskLines(app)[0]?.obj.requestId).toMatch(/^req_/)
      expect(taskReports(app)).toHaveLength(1)
      expect(taskReports(app)[0]).toMatchObject({
        handled: true,
        code: 'DELIVERY_FAILED',
        taskId: res.taskId,
        attempt: 1,
      })
      expect(stderr).not.toHaveBeenCalled()
      expect(stdout).not.toHaveBeenCalled()
    } finally {
      stderr.mockRestore()
      stdout.mockRestore()
    }
  })

  test('a procedure that queues a task and then throws: the task never runs', async () => {
    app = await start()
    const [, err] = await safe(client(app.url).order.createThenFail.mutate({ email: 'a@example.test' }))
    expect(err?.code).toBe('ORDER_REJECTED')
    await app.settle()
    expect(app.runs).toEqual([])
    expect(taskReports(app)).toEqual([])
  })

  test('in a batch, only the tasks of the calls that failed are discarded', async () => {
    app = await start()
    const c = client(app.url, true)
    const [ok, failed] = await Promise.all([
      safe(c.order.create.mutate({ email: 'a@example.test', mode: 'ok' })),
      safe(c.order.createThenFail.mutate({ email: 'b@example.test' })),
    ])
    expect(failed[1]?.code).toBe('ORDER_REJECTED')
    await app.settle()
    expect(app.runs.map((r) => r.taskId)).toEqual([ok[0]?.taskId])
    expect(await app.fl.tasks.status(ok[0]?.taskId ?? '')).toMatchObject({ status: 'succeeded', attempts: 1 })
  })

  test('1,000 concurrent tasks, 30% failing in mixed ways: every failure reported once, no unhandled rejection, still serving', async () => {
    app = await start({ timeoutMs: 50 })
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const modes: Mode[] = Array.from(
        { length: 1000 },
        (_, i) => (['crash', 'reject-string', 'hang'] as const)[i % 10] ?? 'ok',
      )
      const { taskIds } = await client(app.url).order.bulk.mutate({ modes })
      expect(taskIds).toHaveLength(1000)
      const drained = await app.settle(20_000)
      expect(drained.interrupted).toEqual([])
      await new Promise((resolve) => setTimeout(resolve, 50))
      // crash and reject-string fail once; a hang times out (TIMEOUT is retryable) on each of its 3 attempts
      const reports = taskReports(app)
      expect(reports.filter((r) => r.code === 'INTERNAL')).toHaveLength(200)
      expect(reports.filter((r) => r.code === 'TIMEOUT')).toHaveLength(300)
      expect(taskLines(app)).toHaveLength(500)
      const keys = reports.map((r) => `${r.taskId}#${r.attempt}`)
      expect(new Set(keys).size).toBe(keys.length)
      const statuses = await Promise.all(taskIds.map((id) => app?.fl.tasks.status(id)))
      expect(statuses.filter((s) => s?.status === 'failed')).toHaveLength(300)
      expect(statuses.filter((s) => s?.status === 'succeeded')).toHaveLength(700)
      expect(unhandled).toEqual([])
      const after = await client(app.url).order.create.mutate({ email: 'still@example.test', mode: 'ok' })
      expect(after.orderId).toBe('ord_1')
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    // a queue makes some 3,000 Redis round trips for this; the machine may be busy with other tests
  }, 30_000)

  test("a failed task's status, fetched by a client, rehydrates into the typed error", async () => {
    app = await start()
    const c = client(app.url)
    const { taskId } = await c.order.create.mutate({ email: 'full@example.test', mode: 'domain' })
    const err: unknown = await waitForTask(c.tasks, taskId, { intervalMs: 10 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FaultlineClientError)
    if (!isFaultlineError(err, 'DELIVERY_FAILED')) throw new Error('expected DELIVERY_FAILED')
    expect(err.details).toEqual({ email: 'full@example.test' })
    const ok = await c.order.create.mutate({ email: 'a@example.test', mode: 'ok' })
    await expect(waitForTask(c.tasks, ok.taskId, { intervalMs: 10 })).resolves.toMatchObject({ status: 'succeeded' })
  })

  test('a crash in a task is redacted like a request crash, and logged at error with its stack', async () => {
    app = await start()
    const c = client(app.url)
    const { taskId } = await c.order.create.mutate({ email: 'a@example.test', mode: 'crash' })
    await app.settle()
    const record = await c.tasks.status.query({ id: taskId })
    expect(record).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'INTERNAL', message: 'Internal server error' },
    })
    expect(JSON.stringify(record)).not.toContain('smtp')
    expect(taskLines(app)[0]).toMatchObject({ level: 'error', obj: { handled: false, error: { type: 'TypeError' } } })
  })

  test('retryable failures retry with backoff; the attempt that succeeds ends it', async () => {
    app = await start()
    const { taskId } = await client(app.url).order.create.mutate({ email: 'a@example.test', mode: 'flaky' })
    await app.settle()
    expect(await app.fl.tasks.status(taskId)).toMatchObject({ status: 'succeeded', attempts: 3 })
    expect(taskReports(app).map((r) => [r.code, r.attempt])).toEqual([
      ['UNAVAILABLE', 1],
      ['UNAVAILABLE', 2],
    ])
  })

  test('non-retryable failures fail at once', async () => {
    app = await start()
    const { taskId } = await client(app.url).order.create.mutate({ email: 'a@example.test', mode: 'domain' })
    await app.settle()
    expect(await app.fl.tasks.status(taskId)).toMatchObject({ status: 'failed', attempts: 1 })
  })

  test('shutdown interrupts what does not finish in time, never silently lost', async () => {
    const under = runners.create()
    app = await startTasksApp({ timeoutMs: 60_000, runner: under })
    const { taskId } = await client(app.url).order.create.mutate({ email: 'a@example.test', mode: 'hang' })
    await vi.waitFor(async () => expect(await app?.fl.tasks.status(taskId)).toMatchObject({ status: 'running' }), {
      timeout: 5_000,
    })
    const result = await app.shutdown(50)
    expect(result.interrupted).toEqual([taskId])
    // in this process it ends interrupted; on a queue it goes back for another worker
    expect(await app.fl.tasks.status(taskId)).toMatchObject({
      status: under.requeuesInterrupted ? 'queued' : 'interrupted',
      attempts: 1,
      error: { code: 'UNAVAILABLE', requestId: expect.stringMatching(/^req_/) },
    })
    expect(taskReports(app)).toEqual([expect.objectContaining({ code: 'UNAVAILABLE', taskId, attempt: 1 })])
  })

  test('test mode: drain rethrows unexpected failures, while expected ones are assertable by code', async () => {
    app = await start({ raiseUnexpected: true })
    const c = client(app.url)
    await c.order.create.mutate({ email: 'a@example.test', mode: 'domain' })
    await c.order.create.mutate({ email: 'b@example.test', mode: 'crash' })
    await expect(app.settle()).rejects.toThrow(/1 background task\(s\) failed unexpectedly: send-receipt \(INTERNAL\)/)
    expect(app.fl.tasks.failures().map((f) => f.envelope.code)).toEqual(['DELIVERY_FAILED'])
    await expect(app.fl.tasks.drain()).resolves.toEqual({ interrupted: [] })
  })

  test('an invalid payload fails the procedure with a clear reason, not the task', async () => {
    app = await start()
    const [, err] = await safe(client(app.url).order.badEnqueue.mutate())
    expect(err?.code).toBe('INTERNAL')
    const line = app.log.lines.find((l) => l.obj.path === 'order.badEnqueue')
    expect(line?.obj.error).toMatchObject({
      message: expect.stringMatching(/^enqueue: invalid payload for send-receipt at email/),
    })
  })

  test('status of an unknown task is NOT_FOUND; a malformed id is VALIDATION_FAILED', async () => {
    app = await start()
    const c = client(app.url)
    const [, missing] = await safe(c.tasks.status.query({ id: 'task_nope' }))
    expect(missing?.code).toBe('NOT_FOUND')
    const [, invalid] = await safe(c.tasks.status.query({ id: '' }))
    expect(invalid?.code).toBe('VALIDATION_FAILED')
  })
})
