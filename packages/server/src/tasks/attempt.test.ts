// One attempt of a task: its signal, its timeout, its turn, and whether and when it is tried again.
import { afterEach, expect, test, vi } from 'vitest'
import { createFaultline } from '../faultline'
import { sleep } from './attempt'
import { defineTask } from './define'
import type { TaskJob } from './runner'
import { app, deferred, errors, manualRunner, oneTaskApp, tick } from './tasks.fixture'

afterEach(() => {
  vi.restoreAllMocks()
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

test("an attempt's signal aborts with the runner's reason, or with TIMEOUT at the task's timeout", async () => {
  const seen: unknown[] = []
  const { promise: listening, settle: listens } = deferred()
  const waitForAbort = (_: undefined, { signal }: { signal: AbortSignal }) =>
    new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => resolve(void seen.push(signal.reason)), { once: true })
      listens()
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
  // the work starts on a turn of its own: abort once it listens, however busy the machine
  await listening
  stop.abort(new Error('drain timed out'))
  expect(await waiting).toEqual({ status: 'aborted' })
  expect(seen).toEqual([new Error('drain timed out')])

  const outcome = await host.attempt(job('timed'), 1, new AbortController().signal)
  expect(outcome).toMatchObject({ status: 'failed', envelope: { code: 'TIMEOUT' } })
  expect(seen[1]).toMatchObject({ code: 'TIMEOUT' })
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
