// One benchmark server: plain tRPC or tRPC with Faultline, the same router.
// Run by http.ts as a child process: node … http-server.ts <plain|faultline>.
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, type Logger } from '@faultline/server'
import { initTRPC, TRPCError } from '@trpc/server'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import superjson from 'superjson'
import { z } from 'zod'

const mode = process.argv[2] === 'faultline' ? 'faultline' : 'plain'
const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
})
// both servers write one serialized line per failure, discarded: logging cost is in both columns.
// Like Faultline, the plain server logs the stack of a crash (a production app needs it to find
// the bug) and no stack for an expected error.
const sink = (obj: object, msg: string) => void JSON.stringify({ ...obj, msg })
const logger: Logger = { info: sink, warn: sink, error: sink }

// the background work, the same function in both servers
const sendWebhook = () => {
  throw new Error('webhook endpoint refused the connection')
}
const failingWork = defineTask({ name: 'failing-work', retry: { attempts: 1 }, run: sendWebhook })
const fl = createFaultline({
  errors,
  logger,
  expose: 'safe',
  transformer: superjson,
  background: { tasks: [failingWork] },
})
type Ctx = { requestId: string }
const plainT = initTRPC.context<Ctx>().create({ transformer: superjson })
// the same router in both modes: typed through the plain root, wired at runtime for each
const t =
  mode === 'faultline'
    ? (initTRPC
        .context<Ctx>()
        .create({ transformer: superjson, errorFormatter: fl.errorFormatter }) as unknown as typeof plainT)
    : plainT
const base =
  mode === 'faultline' ? t.procedure.concat(fl.background as unknown as typeof plainT.procedure) : t.procedure
type WithBackground = { background?: { enqueue(name: 'failing-work'): string } }

const router = t.router({
  ok: t.procedure.query(() => ({ id: 'u_1', name: 'Ada', roles: ['admin', 'author'] })),
  declared: t.procedure.query(() => {
    if (mode === 'faultline') throw errors.USER_NOT_FOUND({ userId: 'u_404' })
    throw new TRPCError({ code: 'NOT_FOUND', message: 'User not found' })
  }),
  crash: t.procedure.query(() => {
    const row = null as unknown as { name: string }
    return row.name
  }),
  validate: t.procedure.input(z.object({ email: z.email(), age: z.number().int() })).query(({ input }) => input),
  queue: base.mutation(({ ctx }) => {
    const background = (ctx as WithBackground).background
    if (background) background.enqueue('failing-work')
    // plain tRPC: the work after the response, its failure caught and logged by hand
    else
      setImmediate(async () => {
        try {
          await sendWebhook()
        } catch (e) {
          sink({ error: (e as Error).message, stack: (e as Error).stack }, 'task failed')
        }
      })
    return { queued: true }
  }),
})

const server =
  mode === 'faultline'
    ? createHTTPServer({ router, createContext: fl.createContext(), ...fl.adapter() })
    : createHTTPServer({
        router,
        createContext: () => ({ requestId: 'r' }),
        onError: ({ error, path }) =>
          sink(
            { code: error.code, path, ...(error.code === 'INTERNAL_SERVER_ERROR' ? { stack: error.stack } : {}) },
            error.message,
          ),
      })

let peakRss = 0
const sample = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 50)
sample.unref()
// CPU time spent since the last reset: divided by the requests served, what one request costs
let cpuSince = process.cpuUsage()
process.on('message', (message) => {
  if (message === 'rss') {
    const cpu = process.cpuUsage(cpuSince)
    process.send?.({ peakRss, cpuMicros: cpu.user + cpu.system })
  }
  if (message === 'reset-rss') {
    peakRss = process.memoryUsage().rss
    cpuSince = process.cpuUsage()
  }
  // a clean exit, so `--cpu-prof` can write its profile
  if (message === 'exit') process.exit(0)
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
})
