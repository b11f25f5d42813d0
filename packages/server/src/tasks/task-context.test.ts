// `taskContext`: a carrier captured in the request that queues a task, and each attempt run
// inside the context a wrapper gives it, on the default runner and on a runner of its own.
import { AsyncLocalStorage } from 'node:async_hooks'
import { initTRPC } from '@trpc/server'
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import type { ReportEvent } from '../engine/log'
import { createFaultline } from '../faultline'
import { defineTask } from './define'
import type { TaskJob } from './runner'
import type { TaskAttemptInfo, TaskContextHooks } from './task-context'
import { createTaskContext } from './task-context'
import { errors, manualRunner, quiet, send, tick } from './tasks.fixture'

afterEach(() => {
  vi.restoreAllMocks()
})

/** A stand-in for a tracer's context: which request a piece of code runs for. */
const current = new AsyncLocalStorage<string>()

/** An app whose `go` call runs inside `current` as `where` and enqueues `send`. */
function contextApp(taskContext: TaskContextHooks, runner = manualRunner().runner) {
  const reports: { event: ReportEvent; context: string | undefined }[] = []
  const fl = createFaultline({
    errors,
    logger: false,
    // no handler maps the fixture's Bounced here: its failure is a crash
    report: (event) => void reports.push({ event, context: current.getStore() }),
    background: { tasks: [send], runner },
    taskContext,
  })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure
      .concat(fl.background)
      .input(z.object({ email: z.string() }))
      .mutation(({ ctx, input }) => ctx.background.enqueue('send', input)),
  })
  const caller = t.createCallerFactory(router)({ requestId: 'req_context' })
  return { fl, reports, go: (where: string, email: string) => current.run(where, () => caller.go({ email })) }
}

/** Hooks that carry the request's name to the attempt and run the attempt as `task of <name>`. */
function carryingHooks() {
  const attempts: TaskAttemptInfo[] = []
  const hooks: TaskContextHooks = {
    capture: () => ({ from: current.getStore() ?? 'nowhere' }),
    around(attempt, run) {
      attempts.push(attempt)
      return current.run(`task of ${attempt.carrier?.from}`, run)
    },
  }
  return { hooks, attempts }
}

test('capture runs in the request that queues the task; its carrier reaches the runner with the job', async () => {
  const manual = manualRunner()
  const { hooks } = carryingHooks()
  const { go } = contextApp(hooks, manual.runner)
  const id = await go('request A', 'a@example.test')
  await tick()
  expect(manual.taken).toEqual([
    expect.objectContaining({ id, requestId: 'req_context', carrier: { from: 'request A' } }),
  ])
})

test("each attempt runs inside around: the failure's report sees the attempt's context", async () => {
  const manual = manualRunner()
  const { hooks, attempts } = carryingHooks()
  const { go, reports } = contextApp(hooks, manual.runner)
  await go('request B', 'bounce@example.test')
  await tick()
  const [job] = manual.taken
  if (!job) throw new Error('no job')

  // a worker elsewhere: the job as a queue hands it back, carrier included
  const outcome = await manual.run(JSON.parse(JSON.stringify(job)) as TaskJob, 1)
  expect(outcome).toMatchObject({ status: 'failed', envelope: { code: 'INTERNAL' } })
  expect(attempts).toEqual([
    { taskId: job.id, task: 'send', attempt: 1, requestId: 'req_context', carrier: { from: 'request B' } },
  ])
  expect(reports).toEqual([
    { event: expect.objectContaining({ source: 'task', taskId: job.id, attempt: 1 }), context: 'task of request B' },
  ])
})

test("on the default runner, the task's own code runs inside around, with the carrier of its request", async () => {
  const seen: (string | undefined)[] = []
  const probe = defineTask({ name: 'probe', run: () => void seen.push(current.getStore()) })
  const fl = createFaultline({
    errors,
    logger: false,
    background: { tasks: [probe] },
    taskContext: carryingHooks().hooks,
  })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure.concat(fl.background).mutation(({ ctx }) => ctx.background.enqueue('probe')),
  })
  const caller = t.createCallerFactory(router)({ requestId: 'req_probe' })
  await current.run('request C', () => caller.go())
  await fl.tasks.drain()
  expect(seen).toEqual(['task of request C'])
})

test('without hooks nothing is added: the job has no carrier, and the attempt is not wrapped', async () => {
  const engine = { fault: vi.fn() } as never
  const none = createTaskContext(undefined, engine)
  const job: TaskJob = { id: 't1', task: 'send', payload: {}, requestId: undefined, createdAt: 0 }
  const attempt = async () => ({ status: 'succeeded' as const })
  expect(none.capture(job)).toBe(job)
  expect(none.around(attempt)).toBe(attempt)

  const manual = manualRunner()
  const fl = createFaultline({ errors, logger: false, background: { tasks: [send], runner: manual.runner } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const caller = t.createCallerFactory(
    t.router({
      go: t.procedure.concat(fl.background).mutation(({ ctx }) => ctx.background.enqueue('send', { email: 'x' })),
    }),
  )({ requestId: 'req_plain' })
  await caller.go()
  await tick()
  expect(Object.keys(manual.taken[0] ?? {})).not.toContain('carrier')
})

test('a capture that throws is a hook fault: the task is queued without a carrier and runs', async () => {
  quiet()
  const manual = manualRunner()
  const { go, fl } = contextApp(
    {
      capture: () => {
        throw new Error('no tracer')
      },
    },
    manual.runner,
  )
  await go('request D', 'a@example.test')
  await tick()
  expect(manual.taken).toHaveLength(1)
  expect(manual.taken[0]?.carrier).toBeUndefined()
  expect(fl.faults().hook).toBe(1)
  await expect(manual.run(manual.taken[0] as TaskJob, 1)).resolves.toEqual({ status: 'succeeded' })
})

test.each([
  ['throws before running it', () => Promise.reject(new Error('wrapper broke'))],
  ['never calls run', () => Promise.resolve(undefined as never)],
])('an around that %s is a hook fault: the attempt still runs, once', async (_, around) => {
  quiet()
  const manual = manualRunner()
  const { go, fl, reports } = contextApp({ around }, manual.runner)
  await go('request E', 'bounce@example.test')
  await tick()
  const outcome = await manual.run(manual.taken[0] as TaskJob, 1)
  expect(outcome).toMatchObject({ status: 'failed' })
  expect(reports).toHaveLength(1)
  expect(fl.faults().hook).toBe(1)
})

test('an around that runs the attempt and then throws keeps the outcome; the throw is a hook fault', async () => {
  quiet()
  const manual = manualRunner()
  const { go, fl } = contextApp(
    {
      async around(_, run) {
        await run()
        throw new Error('span exporter broke')
      },
    },
    manual.runner,
  )
  await go('request F', 'a@example.test')
  await tick()
  await expect(manual.run(manual.taken[0] as TaskJob, 1)).resolves.toEqual({ status: 'succeeded' })
  expect(fl.faults().hook).toBe(1)
})

test.each([
  [42, /taskContext must be an object of \{ capture, around \}; got 42/],
  [{ capture: 'yes' }, /taskContext.capture must be a function; got string/],
  [{ around: {} }, /taskContext.around must be a function; got object/],
])('createFaultline refuses a taskContext that cannot work (%#)', (taskContext, message) => {
  expect(() => createFaultline({ errors, taskContext: taskContext as never })).toThrow(message)
})
