// ns/op of formatting one error (Faultline vs tRPC's default formatter) and of
// rehydrating one on the client, and the CPU a call costs that queues a failing
// background task, through to the failure's log line.
// Run: pnpm bench (or node --conditions=@faultline/source --import tsx bench/src/micro.ts).
import { FaultlineClientError } from '@faultline/client'
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, type Logger } from '@faultline/server'
import { TRPCClientError } from '@trpc/client'
import { getTRPCErrorShape, initTRPC, TRPCError } from '@trpc/server'
import superjson from 'superjson'
import { Bench } from 'tinybench'
import { z } from 'zod'
import { median } from './stats'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
})
const fl = createFaultline({ errors, logger: false, expose: 'safe', transformer: superjson })
const plain = initTRPC.create({ transformer: superjson })
const faultline = initTRPC.create({ transformer: superjson, errorFormatter: fl.errorFormatter })

const zodError = z.object({ email: z.email() }).safeParse({ email: 'x' }).error
const kinds: Record<string, () => TRPCError> = {
  declared: () => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: errors.USER_NOT_FOUND({ userId: 'u_1' }) }),
  crash: () => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new TypeError('x is undefined') }),
  validation: () => new TRPCError({ code: 'BAD_REQUEST', cause: zodError }),
}

type AnyConfig = Parameters<typeof getTRPCErrorShape>[0]['config']
const format = (config: AnyConfig, error: TRPCError) =>
  getTRPCErrorShape({ config, error, type: 'query', path: 'user.byId', input: { id: 'u_1' }, ctx: { requestId: 'r' } })

const shape = format(faultline._config, kinds.declared?.() as TRPCError)

export async function runMicro() {
  const bench = new Bench({ time: 500, warmup: true })
  for (const [kind, make] of Object.entries(kinds)) {
    bench.add(`format ${kind}: plain tRPC`, () => void format(plain._config, make()))
    bench.add(`format ${kind}: Faultline`, () => void format(faultline._config, make()))
  }
  bench.add('rehydrate: TRPCClientError.from', () => void TRPCClientError.from({ error: shape }))
  bench.add(
    'rehydrate: FaultlineClientError.from',
    () => void FaultlineClientError.from(TRPCClientError.from({ error: shape })),
  )
  await bench.run()
  return bench.tasks.map((task) => {
    const latency = (task.result as { latency?: { mean: number; p99?: number } } | undefined)?.latency
    return {
      name: task.name,
      nsPerOp: Math.round((latency?.mean ?? Number.NaN) * 1e6),
      p99Ns: Math.round((latency?.p99 ?? Number.NaN) * 1e6),
    }
  })
}

// A call that queues a task which then fails, in process (no HTTP): Faultline's background tasks
// (request id, the task's record at each step, the failure's envelope, log line and report)
// against plain tRPC running the work after the call and logging its failure by hand. Both log
// one line with the stack. CPU time, as the work runs after the call returns.
const WEBHOOK_DOWN = 'webhook endpoint refused the connection'
const sink = (obj: object, msg: string) => void JSON.stringify({ ...obj, msg })
const logger: Logger = { info: sink, warn: sink, error: sink }
// the background work, the same function on both sides
const sendWebhook = () => {
  throw new Error(WEBHOOK_DOWN)
}
const webhook = defineTask({ name: 'webhook', retry: { attempts: 1 }, run: sendWebhook })
const tasksFl = createFaultline({
  errors,
  logger,
  expose: 'safe',
  transformer: superjson,
  background: { tasks: [webhook] },
})
const tt = initTRPC
  .context<{ requestId: string }>()
  .create({ transformer: superjson, errorFormatter: tasksFl.errorFormatter })
const queueFl = tt.router({
  queue: tt.procedure.concat(tasksFl.background).mutation(({ ctx }) => ctx.background.enqueue('webhook')),
})
const queuePlain = tt.router({
  queue: tt.procedure.mutation(() => {
    setImmediate(async () => {
      try {
        await sendWebhook()
      } catch (e) {
        sink({ error: (e as Error).message, stack: (e as Error).stack }, 'task failed')
      }
    })
    return 'queued'
  }),
})
const flContext = tasksFl.createContext()
const settle = () => new Promise((resolve) => setTimeout(resolve, 1))

async function taskRound(which: 'plain' | 'faultline', calls: number): Promise<number> {
  const start = process.cpuUsage()
  for (let done = 0; done < calls; done += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        if (which === 'plain') await queuePlain.createCaller({ requestId: 'r' }).queue()
        else await queueFl.createCaller(await flContext({})).queue()
      }),
    )
    await settle()
  }
  if (which === 'faultline') await tasksFl.tasks.drain()
  await settle()
  const cpu = process.cpuUsage(start)
  return (cpu.user + cpu.system) / calls
}

/** CPU µs per call that queues a failing task: the median of `rounds` rounds, alternating. */
export async function runTaskPath(rounds = 7, calls = 10_000) {
  const plain: number[] = []
  const faultline: number[] = []
  await taskRound('plain', 2_000)
  await taskRound('faultline', 2_000)
  for (let round = 0; round < rounds; round++) {
    plain.push(await taskRound('plain', calls))
    faultline.push(await taskRound('faultline', calls))
  }
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`
  return {
    name: 'a call queuing a failing task (CPU µs per call)',
    plainUs: Number(median(plain).toFixed(1)),
    faultlineUs: Number(median(faultline).toFixed(1)),
    plainRange: range(plain),
    faultlineRange: range(faultline),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await runMicro())
  console.table([await runTaskPath()])
}
