// Shared by the task tests: a catalog and a task, a runner of the test's own, and small apps.
import { defineErrors } from '@faultline/contract'
import { initTRPC } from '@trpc/server'
import { vi } from 'vitest'
import { z } from 'zod'
import { handle } from '../engine/handlers'
import type { ReportEvent } from '../engine/log'
import { createFaultline } from '../faultline'
import { type AnyTaskDefinition, defineTask } from './define'
import type { TaskHost, TaskJob, TaskRunner } from './runner'
import type { TaskRecord } from './store'

export const errors = defineErrors({
  DELIVERY_FAILED: { status: 422, message: 'Receipt could not be delivered', data: z.object({ email: z.string() }) },
})

export class Bounced extends Error {}

export const send = defineTask({
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
export function manualRunner(
  opts: { enqueue?: (jobs: readonly TaskJob[]) => Promise<void>; refuse?: string; takes?: TaskRunner['takes'] } = {},
) {
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
    ...(opts.takes ? { takes: opts.takes } : {}),
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
    async run(job: TaskJob, attempt: number, signal = new AbortController().signal, claim?: () => Promise<boolean>) {
      const outcome = await this.host().attempt(job, attempt, signal, claim)
      const base = { id: job.id, task: job.task, attempts: attempt, requestId: job.requestId }
      const times = { createdAt: job.createdAt, updatedAt: Date.now() }
      if (outcome.status === 'failed') {
        records.set(job.id, { ...base, ...times, status: outcome.retry ? 'queued' : 'failed', error: outcome.envelope })
      } else if (outcome.status === 'succeeded') records.set(job.id, { ...base, ...times, status: 'succeeded' })
      return outcome
    },
  }
}

export function app(runner: TaskRunner) {
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

export const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

/** A promise, and the function that settles it. */
export function deferred() {
  let settle = () => {}
  const promise = new Promise<void>((resolve) => {
    settle = resolve
  })
  return { promise, settle }
}

/** An app with one task, whose `go` call enqueues it with the call's input as its payload. */
export function oneTaskApp(
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
export const quiet = () => vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
