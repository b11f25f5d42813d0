// Background tasks wired into an instance: what a runner is handed, what the ledger records and
// answers for status, and what enqueue refuses.
import { initTRPC } from '@trpc/server'
import { afterEach, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { createFaultline } from '../faultline'
import { defineTask } from './define'
import type { TaskJob } from './runner'
import type { TaskRecord } from './store'
import { app, Bounced, deferred, errors, manualRunner, oneTaskApp, quiet, tick } from './tasks.fixture'

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

test('tasks a runner cannot take are failed with UNAVAILABLE, reported once, never lost', async () => {
  quiet()
  const manual = manualRunner({ enqueue: () => Promise.reject(new Error('connection refused')) })
  const { fl, reports, caller } = app(manual.runner)
  const id = await caller.go({ email: 'a@example.test' })
  await tick()
  expect(await fl.tasks.status(id)).toMatchObject({ status: 'failed', error: { code: 'UNAVAILABLE' } })
  expect(reports).toEqual([expect.objectContaining({ code: 'UNAVAILABLE', taskId: id, attempt: 0 })])
})

test('a runner that takes tasks before the response: the call answers once the runner holds them', async () => {
  const held = deferred()
  const taken: TaskJob[] = []
  const manual = manualRunner({
    takes: 'before-response',
    enqueue: async (jobs) => {
      await held.promise
      taken.push(...jobs)
    },
  })
  const { fl, caller } = app(manual.runner)
  let answered = false
  const call = caller.go({ email: 'a@example.test' }).then((id) => {
    answered = true
    return id
  })
  await tick()
  // the runner was handed the task while the call is still open
  expect(answered).toBe(false)
  held.settle()
  const id = await call
  expect(taken.map((job) => job.id)).toEqual([id])
  // a call that fails hands nothing over and waits for nothing
  await expect(caller.go({ email: 'b@example.test', fail: true })).rejects.toThrow()
  expect(taken).toHaveLength(1)
  expect((await fl.tasks.drain()).interrupted).toEqual([])
})

test('tasks a runner cannot take before the response fail the call with UNAVAILABLE and a retry delay', async () => {
  const refusal = new Error('connection refused')
  const manual = manualRunner({ takes: 'before-response', enqueue: () => Promise.reject(refusal) })
  const { fl, caller } = app(manual.runner)
  const err = await caller.go({ email: 'a@example.test' }).catch((e: unknown) => e)
  expect(err).toMatchObject({
    cause: {
      code: 'UNAVAILABLE',
      retryAfterMs: 1000,
      message: 'Background work could not be queued; try again shortly',
    },
  })
  expect((err as { cause: { cause: unknown } }).cause.cause).toBe(refusal)
  // the call's failure is the one failure: no task failure besides it, no task left to answer for
  expect(fl.tasks.failures()).toEqual([])
  expect((await fl.tasks.drain()).interrupted).toEqual([])
})

test('a claimed attempt reports its failure; one whose claim is refused reports nothing and ends superseded', async () => {
  const manual = manualRunner()
  const { reports } = app(manual.runner)
  const job: TaskJob = { id: 'task_1', task: 'send', payload: { email: 'bounce' }, requestId: 'req_1', createdAt: 0 }
  const claims: string[] = []
  const claim = (won: boolean) => async () => {
    claims.push(won ? 'won' : 'lost')
    return won
  }
  expect(await manual.run(job, 1, undefined, claim(false))).toEqual({ status: 'superseded' })
  expect(reports).toEqual([])
  expect(await manual.run(job, 2, undefined, claim(true))).toMatchObject({
    status: 'failed',
    envelope: { code: 'DELIVERY_FAILED' },
  })
  expect(reports).toEqual([expect.objectContaining({ code: 'DELIVERY_FAILED', taskId: 'task_1', attempt: 2 })])
  // a success claims nothing
  expect(await manual.run({ ...job, payload: { email: 'ok' } }, 1, undefined, claim(false))).toEqual({
    status: 'succeeded',
  })
  expect(claims).toEqual(['lost', 'won'])
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

test('a task stays queued for status until a slow store holds its first record', async () => {
  const kept = new Map<string, TaskRecord>()
  let release = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const store = {
    get: (id: string) => kept.get(id),
    set: async (record: TaskRecord) => {
      await gate
      kept.set(record.id, { ...record })
    },
    delete: (id: string) => void kept.delete(id),
  }
  const hang = defineTask({ name: 'hang', run: () => new Promise(() => {}) })
  const fl = createFaultline({ errors, logger: false, background: { tasks: [hang], store } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    go: t.procedure.concat(fl.background).mutation(({ ctx }) => ctx.background.enqueue('hang')),
  })
  const id = await t.createCallerFactory(router)({ requestId: 'req_slow_store' }).go()
  await tick()
  // the runner has reported `running`, and the store is still writing it
  expect(await fl.tasks.status(id)).toMatchObject({ status: 'queued' })
  release()
  await tick()
  expect(await fl.tasks.status(id)).toMatchObject({ status: 'running' })
})
