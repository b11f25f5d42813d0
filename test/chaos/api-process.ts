// An API process of the chaos suite, run on its own: the standalone tRPC adapter and a mutation
// `place({ ref, mode })` that enqueues one task. Prints `ready <port>` once it listens.
import { createServer } from 'node:http'
import { initTRPC } from '@trpc/server'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { z } from 'zod'
import { buildChaosFaultline, MODES } from './faultline'

const { fl } = buildChaosFaultline('api')
const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
const procedure = t.procedure.concat(fl.background)

const router = t.router({
  place: procedure.input(z.object({ ref: z.string(), mode: z.enum(MODES) })).mutation(({ ctx, input }) => ({
    taskId: ctx.background.enqueue(input.mode === 'slow' ? 'place-slow' : 'place', input),
  })),
})

const server = createServer(createHTTPHandler({ router, createContext: fl.createContext(), ...fl.adapter() }))
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`)
})
