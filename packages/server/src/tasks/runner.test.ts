// The runner extension point: what createFaultline hands a runner, and what it
// does with what a runner reports, shown with a small runner of the test's own.
import { defineErrors } from '@faultline/contract'
import { initTRPC } from '@trpc/server'
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { handle } from '../engine/handlers'
import type { ReportEvent } from '../engine/log'
import { createFaultline } from '../faultline'
import { sleep } from './attempt'
import { type AnyTaskDefinition, defineTask } from './define'
import { inProcessRunner } from './in-process'
import type { TaskHost, TaskJob, TaskRunner } from './runner'
import type { TaskRecord } from './store'

const errors = defineErrors({
  DELIVERY_FAILED: { status: 422, message: 'Receipt could not be delivered', data: z.object({ email: z.string() }) },
})

class Bounced extends Error {}

const send = defineTask({
  name: 'send',
  payload: z.object({ email: z.string() }),
  retry: { attempts: 2, baseMs: 1, maxMs: 1 },
  run: async ({ email }) => {
    if (email.startsWith('slow')) await new Promise((resolve) => setTimeout(resolve, 40))
    if (email.startsWith('bounce')) throw new Bounced(email)
    if (email.startsWith('limited')) throw errors.RATE_LIMITED({ retryAfterMs: 5_000 })
  },
})

/** A runner that keeps what it is given and runs a task only when told to. */
function manualRunner(opts: { enqueue?: (jobs: readonly TaskJob[]) => Promise<void>; refuse?: string } = {}) {
  let host: TaskHost | undefined
  const taken: TaskJob[] = []
  const records = new Map<string, TaskRecord>()
  const runner: TaskRunner = {
    attach: (h) => {
      host = h
    },
    check(job) {
      if (opts.refuse && JSON.stringify(job.payload).includes(opts.refuse)) throw new TypeError('enqueue: refused')
    },
    enqueue: opts.enqueue ?? (async (jobs) => void taken.push(...jobs)),
    status: (id) => records.get(id),
    drain: async () => ({ interrupted: [] }),
  }
  return {
    runner,
    taken,
    host: () => {
      if (!host) throw new Error('not attached')
      return host
    },
    /** Runs one attempt of a taken task, as a worker elsewhere would, and records the outcome. */
    async run(job: TaskJob, attempt: number, signal = new AbortController().signal) {
      const outcome = await this.host().attempt(job, attempt, signal)
      const base = { id: job.id, task: job.task, attempts: attempt, requestId: job.requestId }
      const times = { createdAt: job.createdAt, updatedAt: Date.now() }
      if (outcome.status === 'failed') {
        records.set(job.id, { ...base, ...times, status: outcome.retry ? 'queued' : 'failed', error: outcome.envelope })
      } else if (outcome.status === 'succeeded') records.set(job.id, { ...base, ...times, status: 'succeeded' })
      return outcome
    },
  }
}

function app(runner: TaskRunner) {
  const reports: ReportEvent[] = []
  const fl = createFaultline({
    errors,
    logger: false,
    report: (e) => void reports.push(e),
    handlers: [handle(Bounced, (e) => errors.DELIVERY_FAILED({ email: e.message }))],
    background: { tasks: [send], runner },
  })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure
      .concat(fl.background)
      .input(z.object({ email: z.string(), fail: z.boolean().optional() }))
      .mutation(({ ctx, input }) => {
        const id = ctx.background.enqueue('send', { email: input.email })
        if (input.fail) throw errors.DELIVERY_FAILED({ email: input.email })
        return id
      }),
    tasks: fl.taskRouter,
  })
  return { fl, reports, caller: t.createCallerFactory(router)({ requestId: 'req_runner_test' }) }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

/** A promise, and the function that settles it. */
function deferred() {
  let settle = () => {}
  const promise = new Promise<void>((resolve) => {
    settle = resolve
  })
  return { promise, settle }
}

/** An app with one task, whose `go` call enqueues it with the call's input as its payload. */
function oneTaskApp(
  task: AnyTaskDefinition,
  opts: { transformer?: { serialize(value: unknown): unknown }; create?: typeof createFaultline } = {},
) {
  const fl = (opts.create ?? createFaultline)({
    errors,
    logger: false,
    ...(opts.transformer ? { transformer: opts.transformer } : {}),
    background: { tasks: [task] },
  })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure
      .concat(fl.background)
      .input(z.unknown())
      .mutation(({ ctx, input }) => (ctx.background as Enqueue).enqueue(task.name, input)),
  })
  const caller = t.createCallerFactory(router)({ requestId: 'req_one_task' })
  return { fl, go: (payload?: unknown) => caller.go(payload) }
}
type Enqueue = { enqueue(name: string, payload?: unknown): string }

/** Faults of the task machinery are also printed once on stderr; these tests make some on purpose. */
const quiet = () => vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
afterEach(() => {
  vi.restoreAllMocks()
})

test('a runner gets only the tasks of calls that succeeded, runs them through the host, and serves their status', async () => {
  const manual = manualRunner()
  const { fl, reports, caller } = app(manual.runner)
  await expect(caller.go({ email: 'x@example.test', fail: true })).rejects.toThrow()
  const id = await caller.go({ email: 'bounce@example.test' })
  // before the runner has it, this process answers for it
  expect(await fl.tasks.status(id)).toMatchObject({ status: 'queued', attempts: 0, requestId: 'req_runner_test' })
  await tick()
  expect(manual.taken).toEqual([
    {
      id,
      task: 'send',
      payload: { email: 'bounce@example.test' },
      requestId: 'req_runner_test',
      createdAt: expect.any(Number),
    },
  ])
  const [job] = manual.taken
  if (!job) throw new Error('no job')
  const outcome = await manual.run(job, 1)
  // mapped by the handler, not retryable: no retry though the task allows two attempts
  expect(outcome).toMatchObject({ status: 'failed', retry: false, envelope: { code: 'DELIVERY_FAILED' } })
  expect(reports).toEqual([
    expect.objectContaining({
      source: 'task',
      code: 'DELIVERY_FAILED',
      taskId: id,
      attempt: 1,
      requestId: 'req_runner_test',
    }),
  ])
  expect(await caller.tasks.status({ id })).toMatchObject({ status: 'failed', error: { code: 'DELIVERY_FAILED' } })
})

test('a retryable failure asks for a retry while attempts remain, no sooner than its retry.afterMs', async () => {
  const manual = manualRunner()
  const { caller } = app(manual.runner)
  await caller.go({ email: 'limited@example.test' })
  await tick()
  const [job] = manual.taken
  if (!job) throw new Error('no job')
  expect(await manual.run(job, 1)).toMatchObject({ status: 'failed', retry: true, delayMs: 5_000 })
  expect(await manual.run(job, 2)).toMatchObject({ status: 'failed', retry: false, delayMs: 0 })
})

test('an aborted attempt resolves nothing; a payload a queue copy fails its schema with is a crash', async () => {
  const manual = manualRunner()
  const { reports } = app(manual.runner)
  const host = manual.host()
  const job: TaskJob = { id: 'task_1', task: 'send', payload: { email: 'ok' }, requestId: undefined, createdAt: 0 }
  const aborted = new AbortController()
  aborted.abort()
  expect(await host.attempt(job, 1, aborted.signal)).toEqual({ status: 'aborted' })
  expect(reports).toEqual([])
  const bad = await host.attempt({ ...job, payload: { email: 7 } }, 1, new AbortController().signal)
  expect(bad).toMatchObject({ status: 'failed', retry: false, envelope: { code: 'INTERNAL' } })
  const unknown = await host.attempt({ ...job, task: 'gone' }, 1, new AbortController().signal)
  expect(unknown).toMatchObject({ status: 'failed', envelope: { code: 'INTERNAL' } })
  expect(reports.map((r) => [r.code, r.handled])).toEqual([
    ['INTERNAL', false],
    ['INTERNAL', false],
  ])
})

test('tasks a runner cannot take are failed with UNAVAILABLE, reported once, never lost', async () => {
  quiet()
  const manual = manualRunner({ enqueue: () => Promise.reject(new Error('connection refused')) })
  const { fl, reports, caller } = app(manual.runner)
  const id = await caller.go({ email: 'a@example.test' })
  await tick()
  expect(await fl.tasks.status(id)).toMatchObject({ status: 'failed', error: { code: 'UNAVAILABLE' } })
  expect(reports).toEqual([expect.objectContaining({ code: 'UNAVAILABLE', taskId: id, attempt: 0 })])
})

test("a runner's check refuses a task at enqueue: the call fails, nothing is queued", async () => {
  const manual = manualRunner({ refuse: 'nope' })
  const { caller } = app(manual.runner)
  await expect(caller.go({ email: 'nope@example.test' })).rejects.toThrow('enqueue: refused')
  await tick()
  expect(manual.taken).toEqual([])
})

test('a status the runner cannot read is UNAVAILABLE', async () => {
  quiet()
  const manual = manualRunner()
  manual.runner.status = () => Promise.reject(new Error('redis down'))
  const { caller } = app(manual.runner)
  await expect(caller.tasks.status({ id: 'task_1' })).rejects.toMatchObject({ cause: { code: 'UNAVAILABLE' } })
})

test('a runner serves one Faultline instance', () => {
  const runner = inProcessRunner()
  app(runner)
  expect(() => app(runner)).toThrow(/a runner serves one Faultline instance/)
  expect(() => inProcessRunner({ concurrency: 0 })).toThrow(/concurrency must be a whole number/)
})

test('a retry delay longer than a timer can hold (30 days) is waited out, not fired at once', async () => {
  vi.useFakeTimers()
  try {
    const DAY = 24 * 60 * 60 * 1000
    let woke = false
    void sleep(30 * DAY, new AbortController().signal).then(() => {
      woke = true
    })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(woke).toBe(false)
    await vi.advanceTimersByTimeAsync(29 * DAY)
    expect(woke).toBe(false)
    await vi.advanceTimersByTimeAsync(DAY)
    expect(woke).toBe(true)
  } finally {
    vi.useRealTimers()
  }
})

test('drain also waits for the tasks committed while it waits (a request that finishes during shutdown)', async () => {
  const { fl, caller } = app(inProcessRunner())
  const first = await caller.go({ email: 'slow-1@example.test' })
  await tick()
  const draining = fl.tasks.drain({ timeoutMs: 5_000 })
  // a call that finishes after the drain began: its task is committed to the runner then
  const second = await caller.go({ email: 'slow-2@example.test' })
  await tick()
  expect(await fl.tasks.status(second)).toMatchObject({ status: 'running' })
  expect(await draining).toEqual({ interrupted: [] })
  expect(await fl.tasks.status(first)).toMatchObject({ status: 'succeeded' })
  expect(await fl.tasks.status(second)).toMatchObject({ status: 'succeeded' })
})

test("an attempt's signal aborts with the runner's reason, or with TIMEOUT at the task's timeout", async () => {
  const seen: unknown[] = []
  const waitForAbort = (_: undefined, { signal }: { signal: AbortSignal }) =>
    new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(void seen.push(signal.reason)), { once: true })
    })
  const wait = defineTask({ name: 'wait', run: waitForAbort })
  const timed = defineTask({ name: 'timed', timeoutMs: 20, run: waitForAbort })
  const manual = manualRunner()
  createFaultline({ errors, logger: false, background: { tasks: [wait, timed], runner: manual.runner } })
  const host = manual.host()
  const job = (task: string): TaskJob => ({
    id: `task_${task}`,
    task,
    payload: undefined,
    requestId: undefined,
    createdAt: 0,
  })

  const stop = new AbortController()
  const waiting = host.attempt(job('wait'), 1, stop.signal)
  await tick()
  stop.abort(new Error('drain timed out'))
  expect(await waiting).toEqual({ status: 'aborted' })
  expect(seen).toEqual([new Error('drain timed out')])

  const outcome = await host.attempt(job('timed'), 1, new AbortController().signal)
  expect(outcome).toMatchObject({ status: 'failed', envelope: { code: 'TIMEOUT' } })
  expect(seen[1]).toMatchObject({ code: 'TIMEOUT' })
})

test('failures() keeps the latest 1,000 failures outside test mode', () => {
  const manual = manualRunner()
  const { fl } = app(manual.runner)
  const job: TaskJob = { id: 'task_1', task: 'send', payload: { email: 'a' }, requestId: undefined, createdAt: 0 }
  for (let attempt = 1; attempt <= 2_500; attempt++) manual.host().fail(job, attempt, new Bounced('a'))
  const kept = fl.tasks.failures()
  expect(kept).toHaveLength(1_000)
  expect([kept[0]?.attempt, kept.at(-1)?.attempt]).toEqual([1_501, 2_500])
  expect(kept.every((f) => f.envelope.code === 'DELIVERY_FAILED')).toBe(true)
})

test('enqueue refuses a payload the transformer cannot carry, and tries only what is not plain JSON', async () => {
  const anything = defineTask({ name: 'anything', payload: z.unknown(), run: () => {} })
  // a transformer that writes JSON, counting what it is asked to serialize
  const serialized: unknown[] = []
  const transformer = {
    serialize: (value: unknown) => {
      serialized.push(value)
      return JSON.parse(JSON.stringify(value) ?? 'null')
    },
    deserialize: (value: unknown) => value,
  }
  const { go } = oneTaskApp(anything, { transformer })
  const payloads: Record<string, unknown> = {
    json: { to: ['a@example.test'], n: 1, ok: true, none: null },
    none: undefined,
    bigint: { n: 1n },
    date: { at: new Date(0) },
    refusedKey: JSON.parse('{"constructor": 1}'),
  }
  serialized.length = 0
  await expect(go(payloads.json)).resolves.toMatch(/^task_/)
  await expect(go(payloads.none)).resolves.toMatch(/^task_/)
  expect(serialized).toEqual([])
  await expect(go(payloads.bigint)).rejects.toThrow(/enqueue: the payload of anything cannot be serialized: .*BigInt/)
  await expect(go(payloads.date)).resolves.toMatch(/^task_/)
  await expect(go(payloads.refusedKey)).resolves.toMatch(/^task_/)
  // what plain JSON does not cover goes through the transformer, whose word decides
  expect(serialized).toEqual([payloads.bigint, payloads.date, payloads.refusedKey])
})

test("a task that reads its signal only after the runner aborted gets it already aborted, with the runner's reason", async () => {
  let read: AbortSignal | undefined
  const { promise: begun, settle: started } = deferred()
  const late = defineTask({
    name: 'late',
    run: async (_: undefined, task) => {
      started()
      await new Promise((resolve) => setTimeout(resolve, 20))
      read = task.signal
    },
  })
  const manual = manualRunner()
  createFaultline({ errors, logger: false, background: { tasks: [late], runner: manual.runner } })
  const stop = new AbortController()
  const job: TaskJob = { id: 'task_late', task: 'late', payload: undefined, requestId: undefined, createdAt: 0 }
  const outcome = manual.host().attempt(job, 1, stop.signal)
  await begun
  stop.abort(new Error('drain timed out'))
  expect(await outcome).toEqual({ status: 'aborted' })
  await new Promise((resolve) => setTimeout(resolve, 40))
  expect(read?.aborted).toBe(true)
  expect(read?.reason).toEqual(new Error('drain timed out'))
})

test('attempts sharing one runner signal: one listener on it, every attempt aborted with it, no leak warning', async () => {
  const warnings: Error[] = []
  const onWarning = (w: Error) => warnings.push(w)
  process.on('warning', onWarning)
  try {
    const hang = defineTask({ name: 'hang', run: () => new Promise(() => {}) })
    const manual = manualRunner()
    createFaultline({ errors, logger: false, background: { tasks: [hang], runner: manual.runner } })
    const stop = new AbortController()
    const add = vi.spyOn(stop.signal, 'addEventListener')
    const outcomes = Array.from({ length: 50 }, (_, i) =>
      manual
        .host()
        .attempt(
          { id: `task_${i}`, task: 'hang', payload: undefined, requestId: undefined, createdAt: 0 },
          1,
          stop.signal,
        ),
    )
    await tick()
    expect(add).toHaveBeenCalledTimes(1)
    stop.abort(new Error('drain timed out'))
    expect(await Promise.all(outcomes)).toEqual(Array.from({ length: 50 }, () => ({ status: 'aborted' })))
    await tick()
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([])
  } finally {
    process.off('warning', onWarning)
  }
})

test('after a drain gives up on the tasks running, the tasks started later run with a signal of their own', async () => {
  const signals: AbortSignal[] = []
  const waits = defineTask({
    name: 'waits',
    payload: z.object({ ms: z.number() }),
    run: async ({ ms }, task) => {
      signals.push(task.signal)
      await new Promise((resolve) => setTimeout(resolve, ms))
    },
  })
  const { fl, go } = oneTaskApp(waits)
  const stuck = await go({ ms: 10_000 })
  await tick()
  expect(await fl.tasks.drain({ timeoutMs: 20 })).toEqual({ interrupted: [stuck] })
  expect(signals[0]?.aborted).toBe(true)
  const after = await go({ ms: 1 })
  await tick()
  await tick()
  expect(signals[1]?.aborted).toBe(false)
  expect(await fl.tasks.status(after)).toMatchObject({ status: 'succeeded' })
  expect(await fl.tasks.status(stuck)).toMatchObject({ status: 'interrupted', error: { code: 'UNAVAILABLE' } })
})

test('under fake timers a task waits for time to move on, and runs once it does (docs/testing.md)', async () => {
  vi.useFakeTimers()
  try {
    const runs: string[] = []
    const note = defineTask({
      name: 'note',
      payload: z.object({ text: z.string() }),
      run: ({ text }) => void runs.push(text),
    })
    const { fl, go } = oneTaskApp(note)
    const id = await go({ text: 'hello' })
    for (let i = 0; i < 10; i++) await Promise.resolve()
    expect(runs).toEqual([])
    await vi.runAllTimersAsync()
    expect(runs).toEqual(['hello'])
    expect(await fl.tasks.status(id)).toMatchObject({ status: 'succeeded' })
  } finally {
    vi.useRealTimers()
  }
})

test('the in-process runner never runs more tasks at once than its concurrency, even as places free and tasks arrive together', async () => {
  const runner = inProcessRunner({ concurrency: 2 })
  let now = 0
  let most = 0
  const finishers: (() => void)[] = []
  const job = (id: string): TaskJob => ({ id, task: 'work', payload: undefined, requestId: undefined, createdAt: 0 })
  let extra = 0
  const reported = new Map<string, TaskRecord>()
  const host: TaskHost = {
    definitions: new Map(),
    retryPolicy: () => ({ attempts: 1, baseMs: 1, maxMs: 1 }),
    attempt: async () => {
      now++
      most = Math.max(most, now)
      await new Promise<void>((resolve) => finishers.push(resolve))
      now--
      return { status: 'succeeded' }
    },
    fail: () => {
      throw new Error('no failure expected')
    },
    transition(record) {
      reported.set(record.id, { ...record })
      // a task finishing makes room: another arrives in the same turn, before the waiting one resumes
      if (record.status === 'succeeded' && extra < 3) {
        extra++
        queueMicrotask(() => void runner.enqueue([job(`task_extra_${extra}`)]))
      }
      return undefined
    },
    interrupt: () => {
      throw new Error('no interruption expected')
    },
    logInternal: () => {},
  }
  runner.attach(host)
  const all = runner.enqueue(['a', 'b', 'c', 'd'].map((id) => job(`task_${id}`)))
  for (let round = 0; round < 20 && (finishers.length > 0 || now > 0); round++) {
    await tick()
    for (const finish of finishers.splice(0)) finish()
  }
  await all
  expect(most).toBe(2)
  expect(extra).toBe(3)
  for (const id of ['a', 'b', 'c', 'd']) expect(reported.get(`task_${id}`)).toMatchObject({ status: 'succeeded' })
})

test('where there is no setImmediate (edge runtimes), an attempt starts on a timer instead', async () => {
  vi.stubGlobal('setImmediate', undefined)
  vi.resetModules()
  try {
    const { createFaultline: create } = await import('../faultline')
    const { defineTask: define } = await import('./define')
    const runs: number[] = []
    const count = define({ name: 'count', run: (_: undefined, { attempt }) => void runs.push(attempt) })
    const { fl, go } = oneTaskApp(count, { create })
    const id = await go()
    await fl.tasks.drain({ timeoutMs: 1_000 })
    expect(runs).toEqual([1])
    expect(await fl.tasks.status(id)).toMatchObject({ status: 'succeeded' })
  } finally {
    vi.unstubAllGlobals()
    vi.resetModules()
  }
})

test('an attempt aborted before its turn comes never starts the task', async () => {
  const runs: number[] = []
  const once = defineTask({ name: 'once', run: (_: undefined, { attempt }) => void runs.push(attempt) })
  const manual = manualRunner()
  createFaultline({ errors, logger: false, background: { tasks: [once], runner: manual.runner } })
  const stop = new AbortController()
  const outcome = manual
    .host()
    .attempt({ id: 'task_once', task: 'once', payload: undefined, requestId: undefined, createdAt: 0 }, 1, stop.signal)
  stop.abort(new Error('drain timed out'))
  expect(await outcome).toEqual({ status: 'aborted' })
  await tick()
  expect(runs).toEqual([])
})

test('a retry wait on a signal that has already aborted ends at once', async () => {
  const stop = new AbortController()
  stop.abort(new Error('drain timed out'))
  await expect(sleep(60_000, stop.signal)).resolves.toBeUndefined()
})

test("a copy of a task's context carries its signal, which aborts with the attempt", async () => {
  let copied: AbortSignal | undefined
  const { promise: begun, settle: started } = deferred()
  const copies = defineTask({
    name: 'copies',
    run: (_: undefined, task) => {
      const withDb = { ...task, db: 'pool' }
      copied = withDb.signal
      started()
      return new Promise(() => {})
    },
  })
  const manual = manualRunner()
  createFaultline({ errors, logger: false, background: { tasks: [copies], runner: manual.runner } })
  const stop = new AbortController()
  const outcome = manual
    .host()
    .attempt(
      { id: 'task_copies', task: 'copies', payload: undefined, requestId: undefined, createdAt: 0 },
      1,
      stop.signal,
    )
  await begun
  expect(copied?.aborted).toBe(false)
  stop.abort(new Error('drain timed out'))
  expect(await outcome).toEqual({ status: 'aborted' })
  expect(copied?.aborted).toBe(true)
})

test('a drain that gives up also gives up on the tasks that start while it marks the others interrupted', async () => {
  const kept = new Map<string, string>()
  const job = (id: string): TaskJob => ({ id, task: 'hang', payload: undefined, requestId: undefined, createdAt: 0 })
  const late = job('task_late')
  const runner = inProcessRunner()
  const signals: AbortSignal[] = []
  runner.attach({
    definitions: new Map(),
    retryPolicy: () => ({ attempts: 1, baseMs: 1, maxMs: 1 }),
    attempt: (_job, _attempt, signal) => {
      signals.push(signal)
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ status: 'aborted' })))
    },
    fail: () => ({ v: 1, code: 'UNAVAILABLE', status: 503, message: 'interrupted', retry: { retryable: true } }),
    transition: () => undefined,
    // a shared store is slow to save: a call finishing meanwhile commits one more task
    interrupt: (interrupted) =>
      new Promise<void>((resolve) => {
        kept.set(interrupted.id, 'interrupted')
        if (interrupted.id === 'task_first') void runner.enqueue([late])
        setTimeout(resolve, 5)
      }),
    logInternal: () => {},
  })
  void runner.enqueue([job('task_first')])
  await tick()
  expect(await runner.drain(20)).toEqual({ interrupted: ['task_first', 'task_late'] })
  expect(signals.map((s) => s.aborted)).toEqual([true, true])
  expect(kept.get('task_late')).toBe('interrupted')
})
