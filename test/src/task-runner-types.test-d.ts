import {
  type BullmqRunner,
  createBullmqRunner,
  type FaultlineWorker,
  startWorker,
  type TaskJobData,
} from '@faultline/bullmq'
import type { AnyEnvelope } from '@faultline/contract'
import { createFaultline, defineTask, inProcessRunner, memoryTaskStore } from '@faultline/server'
import type { AttemptOutcome, DrainResult, TaskHost, TaskRecord, TaskRunner } from '@faultline/server/runner'
import { initTRPC } from '@trpc/server'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { errors } from './fixtures/catalog'

const sendReceipt = defineTask({
  name: 'send-receipt',
  payload: z.object({ orderId: z.string() }),
  run: () => {},
})
const connection = { host: '127.0.0.1', port: 6379 }

describe('runners', () => {
  test('the BullMQ runner is a task runner that createFaultline takes as is, and procedures enqueue as before', () => {
    const runner = createBullmqRunner({ connection, queueName: 'tasks' })
    expectTypeOf(runner).toExtend<TaskRunner>()
    const fl = createFaultline({ errors, background: { tasks: [sendReceipt], runner } })
    const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
    t.procedure.concat(fl.background).mutation(({ ctx }) => {
      expectTypeOf(ctx.background.enqueue('send-receipt', { orderId: 'o1' })).toEqualTypeOf<string>()
      // @ts-expect-error the payload is the task's
      ctx.background.enqueue('send-receipt', { orderId: 1 })
      // @ts-expect-error no such task
      ctx.background.enqueue('nope', { orderId: 'o1' })
    })
    expectTypeOf(fl.tasks.drain).returns.resolves.toEqualTypeOf<DrainResult>()
  })

  test("the in-process runner stays the default; its concurrency is given to it or beside the tasks; the store is the ledger's", () => {
    createFaultline({ errors, background: { tasks: [sendReceipt] } })
    createFaultline({ errors, background: { tasks: [sendReceipt], store: memoryTaskStore(), concurrency: 5 } })
    createFaultline({ errors, background: { tasks: [sendReceipt], runner: inProcessRunner({ concurrency: 5 }) } })
    // @ts-expect-error the records are the ledger's, whichever runner runs the tasks
    inProcessRunner({ store: memoryTaskStore() })
    const runner = createBullmqRunner({ connection })
    createFaultline({ errors, background: { tasks: [sendReceipt], runner, store: memoryTaskStore() } })
    // @ts-expect-error concurrency is the in-process runner's: with another runner it would do nothing
    createFaultline({ errors, background: { tasks: [sendReceipt], runner, concurrency: 5 } })
  })

  test('createBullmqRunner needs a connection', () => {
    // @ts-expect-error connection is required
    createBullmqRunner({ queueName: 'tasks' })
    createBullmqRunner({ connection: { url: 'redis://127.0.0.1:6379' }, retention: { maxAgeMs: 60_000 } })
  })

  test('startWorker takes a BullMQ runner and BullMQ worker options, less those it sets', () => {
    const runner = createBullmqRunner({ connection })
    const worker = startWorker(runner, { concurrency: 20, stalledInterval: 5_000, lockDuration: 10_000 })
    expectTypeOf(worker).toEqualTypeOf<FaultlineWorker>()
    expectTypeOf(worker.close).returns.resolves.toEqualTypeOf<DrainResult>()
    // @ts-expect-error the prefix is the runner's
    startWorker(runner, { prefix: 'other' })
    // @ts-expect-error backoff is computed from each failure's envelope
    startWorker(runner, { settings: {} })
    // @ts-expect-error only a runner made by createBullmqRunner has a queue to work
    startWorker(inProcessRunner())
  })

  test("jobs carry the task's payload, its request id and the envelope of its last failure", async () => {
    const runner: BullmqRunner = createBullmqRunner({ connection })
    const job = await runner.queue.getJob('task_1')
    expectTypeOf(job?.data).toEqualTypeOf<TaskJobData | undefined>()
    expectTypeOf(job?.data.error).toEqualTypeOf<AnyEnvelope | undefined>()
    expectTypeOf(runner.status).returns.toExtend<TaskRecord | undefined | Promise<TaskRecord | undefined>>()
  })

  test('a runner of your own implements TaskRunner from the runner entry, reporting to the host', () => {
    const own: TaskRunner = {
      attach(host) {
        expectTypeOf(host).toEqualTypeOf<TaskHost>()
        expectTypeOf(host.attempt).returns.resolves.toEqualTypeOf<AttemptOutcome>()
        expectTypeOf(host.fail).returns.toEqualTypeOf<AnyEnvelope>()
        expectTypeOf(host.transition).parameter(0).toEqualTypeOf<TaskRecord>()
      },
      enqueue: async () => {},
      drain: async () => ({ interrupted: [] }),
    }
    createFaultline({ errors, background: { tasks: [sendReceipt], runner: own } })
  })
})
