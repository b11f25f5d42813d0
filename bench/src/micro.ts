// ns/op of formatting one error (Faultline vs tRPC's default formatter) and of
// rehydrating one on the client. Run: pnpm bench (or node --import tsx bench/src/micro.ts).
import { FaultlineClientError } from '@faultline/client'
import { defineErrors } from '@faultline/contract'
import { createFaultline } from '@faultline/server'
import { TRPCClientError } from '@trpc/client'
import { getTRPCErrorShape, initTRPC, TRPCError } from '@trpc/server'
import superjson from 'superjson'
import { Bench } from 'tinybench'
import { z } from 'zod'

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

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await runMicro())
}
