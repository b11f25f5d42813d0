// The in-process runner: its concurrency, and drains that wait for tasks or give up on them.
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { defineTask } from './define'
import { inProcessRunner } from './in-process'
import type { TaskHost, TaskJob } from './runner'
import type { TaskRecord } from './store'
import { app, oneTaskApp, tick } from './tasks.fixture'

afterEach(() => {
  vi.restoreAllMocks()
})

test('a runner serves one Faultline instance', () => {
  const runner = inProcessRunner()
  app(runner)
  expect(() => app(runner)).toThrow(/a runner serves one Faultline instance/)
  expect(() => inProcessRunner({ concurrency: 0 })).toThrow(/concurrency must be a whole number/)
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
