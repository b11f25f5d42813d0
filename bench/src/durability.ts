// What making a task durable before the response costs a call, side by side on one redis-server:
// the BullMQ runner with `durability: 'before-response'` (the default), with 'after-response'
// (the opt-out), and a held variant, added delayed before the response and promoted after it. Run:
// pnpm bench:durability. It starts its own redis-server (no persistence) and stops it at the end.
//
// CALLS calls per side, load and round (default 2000), made one at a time and CONCURRENCY (32) at
// a time; ROUNDS measured rounds (5) after one unmeasured; the sides' order alternates. Each call is a tRPC mutation through
// createCaller that enqueues one task; no worker runs, and Redis is flushed after each round.
// Per side: the call's latency (median and p99, the medians of the rounds), this process's CPU
// per call (after the call returns, until the add has landed), and Redis commands per call.
import { createBullmqRunner } from '@faultline/bullmq'
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask } from '@faultline/server'
import type { TaskHost, TaskJob, TaskRunner } from '@faultline/server/runner'
import { initTRPC } from '@trpc/server'
import { type ConnectionOptions, Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { z } from 'zod'
import { startRedis } from '../../test/src/fixtures/redis'
import { commandCounts } from './bullmq/redis'

const knob = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`bench:durability: ${name} must be a whole number of at least 1; got ${process.env[name]}`)
  }
  return value
}
const CALLS = knob('CALLS', 2000)
const ROUNDS = knob('ROUNDS', 5)
const CONCURRENCY = knob('CONCURRENCY', 32)
const SIDES = ['after-response', 'before-response', 'held'] as const
type SideName = (typeof SIDES)[number]

const sendReceipt = defineTask({ name: 'send-receipt', payload: z.object({ orderId: z.string() }), run: () => {} })

/** Adds each job delayed, before the response, and promotes it on a later turn: durable, and never started early. */
function heldRunner(connection: ConnectionOptions, queueName: string): TaskRunner & { close(): Promise<void> } {
  const queue = new Queue(queueName, { connection })
  const pending = new Set<Promise<unknown>>()
  return {
    takes: 'before-response',
    attach(_host: TaskHost) {},
    async enqueue(jobs: readonly TaskJob[]) {
      for (const job of jobs) {
        const added = await queue.add(job.task, { payload: job.payload }, { jobId: job.id, delay: 30_000 })
        const promoted = new Promise((resolve) => setImmediate(resolve)).then(() => added.promote())
        pending.add(promoted)
        void promoted.finally(() => pending.delete(promoted))
      }
    },
    async drain() {
      await Promise.all(pending)
      return { interrupted: [] }
    },
    close: () => queue.close(),
  }
}

function side(name: SideName, connection: ConnectionOptions) {
  const queueName = `durability-${name}`
  const runner =
    name === 'held'
      ? heldRunner(connection, queueName)
      : createBullmqRunner({ connection, queueName, durability: name })
  const fl = createFaultline({ errors: defineErrors({}), logger: false, background: { tasks: [sendReceipt], runner } })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    place: t.procedure
      .concat(fl.background)
      .input(z.object({ orderId: z.string() }))
      .mutation(({ ctx, input }) => ctx.background.enqueue('send-receipt', input)),
  })
  const caller = t.createCallerFactory(router)({ requestId: 'req_bench' })
  return { name, caller, fl, close: () => runner.close() }
}

type Sample = { p50: number; p99: number; cpuPerCall: number; commandsPerCall: number }

async function measure(s: ReturnType<typeof side>, redis: Redis, concurrency: number): Promise<Sample> {
  await redis.config('RESETSTAT')
  const latencies = new Float64Array(CALLS)
  const cpu = process.cpuUsage()
  let next = 0
  const client = async () => {
    for (let i = next++; i < CALLS; i = next++) {
      const start = process.hrtime.bigint()
      await s.caller.place({ orderId: `ord_${i}` })
      latencies[i] = Number(process.hrtime.bigint() - start) / 1000
    }
  }
  await Promise.all(Array.from({ length: concurrency }, client))
  // the after-response side's adds, and the held side's promotions, are still under way
  await s.fl.tasks.drain({ timeoutMs: 30_000 })
  const used = process.cpuUsage(cpu)
  // counted as Redis counts them: a script, and each command it runs
  const commands = [...(await commandCounts(redis)).values()].reduce((sum, n) => sum + n, 0)
  latencies.sort()
  return {
    p50: latencies[Math.floor(CALLS / 2)] ?? Number.NaN,
    p99: latencies[Math.floor(CALLS * 0.99)] ?? Number.NaN,
    cpuPerCall: (used.user + used.system) / CALLS,
    commandsPerCall: commands / CALLS,
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

const server = await startRedis()
const redis = new Redis(server.connection)
const sides = SIDES.map((name) => side(name, server.connection))
const LOADS = [1, CONCURRENCY]
const results = new Map<string, Sample[]>()
try {
  for (let round = 0; round <= ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse()
    for (const load of LOADS) {
      for (const s of order) {
        const sample = await measure(s, redis, load)
        const key = `${s.name}@${load}`
        if (round > 0) results.set(key, [...(results.get(key) ?? []), sample])
        await redis.flushall()
      }
    }
  }
} finally {
  for (const s of sides) await s.close()
  redis.disconnect()
  await server.stop()
}

const row = (name: SideName, load: number) => {
  const samples = results.get(`${name}@${load}`) ?? []
  const of = (key: keyof Sample) => median(samples.map((sample) => sample[key]))
  return { name, p50: of('p50'), p99: of('p99'), cpu: of('cpuPerCall'), commands: of('commandsPerCall') }
}
console.log(`${CALLS} calls a side and load, median of ${ROUNDS} rounds, node ${process.version}`)
for (const load of LOADS) {
  const rows = SIDES.map((name) => row(name, load))
  const base = rows[0]
  console.log(`\n${load === 1 ? 'one call at a time' : `${load} calls at a time`}\n`)
  console.log('| durability | latency p50 (µs) | latency p99 (µs) | CPU per call (µs) | Redis commands per call |')
  console.log('| --- | ---: | ---: | ---: | ---: |')
  for (const r of rows) {
    const vs = (value: number, of = Number.NaN) => (r === base ? '' : ` (${(value / of).toFixed(2)}×)`)
    console.log(
      `| ${r.name} | ${r.p50.toFixed(0)}${vs(r.p50, base?.p50)} | ${r.p99.toFixed(0)} | ${r.cpu.toFixed(0)}${vs(r.cpu, base?.cpu)} | ${r.commands.toFixed(1)} |`,
    )
  }
}
