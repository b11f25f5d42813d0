// The server load.ts drives: Faultline in production mode, with successes, declared errors,
// crashes, validation failures, tRPC's own errors, batches and mutations that queue background
// tasks that fail. It runs in its own process and counts what it logged and reported; on
// 'stats' it stops taking requests, drains its tasks and answers with the counts.
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, handle, type Logger } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import superjson from 'superjson'
import { z } from 'zod'

/** Written into every crash: it must never reach a response body. */
const SECRET = process.env.LOAD_SECRET ?? 'postgres://orders:hunter2@db.internal:5432/orders'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  EMAIL_TAKEN: { status: 409, message: 'Email already registered', data: z.object({ email: z.string() }) },
  ORDER_REJECTED: { status: 422, message: 'Order rejected', data: z.object({ reason: z.string() }) },
  WEBHOOK_REFUSED: { status: 502, message: 'Webhook refused', data: z.object({ endpoint: z.string() }) },
})

class WebhookRefused extends Error {
  constructor(readonly endpoint: string) {
    super(`POST ${endpoint} answered 410`)
  }
}

const counts = { enqueuedFailing: 0, reported: 0, logged: 0, lines: 0 }

// one serialized line per failure, discarded: the cost of logging stays in, the I/O does not
const line =
  () =>
  (obj: object, msg: string): void => {
    counts.lines++
    if ((obj as { source?: unknown }).source === 'task') counts.logged++
    void JSON.stringify({ ...obj, msg })
  }
const logger: Logger = { info: line(), warn: line(), error: line() }

// two tasks that always fail (a crash, and a domain error mapped by a handler) and one that succeeds
const notify = defineTask({
  name: 'notify',
  payload: z.object({ orderId: z.string() }),
  retry: { attempts: 1 },
  run: ({ orderId }) => {
    throw new Error(`smtp relay refused ${orderId} (${SECRET})`)
  },
})
const webhook = defineTask({
  name: 'webhook',
  payload: z.object({ orderId: z.string() }),
  retry: { attempts: 1 },
  run: async () => {
    await new Promise((resolve) => setImmediate(resolve))
    throw new WebhookRefused('https://hooks.example.test/orders')
  },
})
const audit = defineTask({ name: 'audit', payload: z.object({ orderId: z.string() }), run: () => {} })
const FAILING_PER_ORDER = 2

const fl = createFaultline({
  errors,
  logger,
  transformer: superjson,
  handlers: [handle(WebhookRefused, (e) => errors.WEBHOOK_REFUSED({ endpoint: e.endpoint }))],
  report: (event) => {
    if (event.source === 'task') counts.reported++
  },
  background: { tasks: [notify, webhook, audit] },
})

const t = initTRPC
  .context<{ requestId: string }>()
  .create({ transformer: superjson, errorFormatter: fl.errorFormatter })
const procedure = t.procedure.concat(fl.background)
let orders = 0

const router = t.router({
  user: t.router({
    byId: t.procedure
      .errors(fl.declare('USER_NOT_FOUND'))
      .input(z.object({ id: z.string() }))
      .query(({ input }) => {
        if (input.id === 'u_1') return { id: 'u_1', name: 'Ada', roles: ['admin', 'author'] }
        throw errors.USER_NOT_FOUND({ userId: input.id })
      }),
  }),
  crash: t.procedure.query(() => {
    throw new Error(`connection to ${SECRET} refused`)
  }),
  signup: t.procedure
    .errors(fl.declare('EMAIL_TAKEN'))
    .input(z.object({ email: z.email(), age: z.number().int().min(13) }))
    .mutation(({ input }) => {
      if (input.email.startsWith('taken@')) throw errors.EMAIL_TAKEN({ email: input.email })
      return { id: 'u_2', email: input.email }
    }),
  order: t.router({
    place: procedure.mutation(({ ctx }) => {
      const orderId = `ord_${++orders}`
      const taskIds = ['notify', 'webhook', 'audit'].map((name) =>
        ctx.background.enqueue(name as 'notify', { orderId }),
      )
      // counted once the call can no longer fail: its tasks are committed
      counts.enqueuedFailing += FAILING_PER_ORDER
      return { orderId, taskIds }
    }),
    // queues a failing task and then fails: the task is discarded, never run nor reported
    placeThenFail: procedure.mutation(({ ctx }) => {
      ctx.background.enqueue('notify', { orderId: 'ord_rejected' })
      throw errors.ORDER_REJECTED({ reason: 'card expired' })
    }),
  }),
})

const server = createHTTPServer({ router, createContext: fl.createContext(), ...fl.adapter() })

const rssStart = process.memoryUsage().rss
let peakRss = rssStart
const sample = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 100)
sample.unref()
// half-way through the run the parent announced: RSS that keeps climbing from here on is a leak
let rssHalfway = Number.NaN
setTimeout(
  () => {
    rssHalfway = process.memoryUsage().rss
  },
  Number(process.env.LOAD_SECONDS ?? 0) * 500,
).unref()

process.on('message', async (message) => {
  if (message === 'stats') {
    // no new requests; those in flight finish, then every task they queued is drained
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const drained = await fl.tasks.drain({ timeoutMs: 60_000 })
    process.send?.({
      ...counts,
      interrupted: drained.interrupted.length,
      faults: fl.faults(),
      rssStart,
      rssHalfway,
      rssEnd: process.memoryUsage().rss,
      peakRss,
    })
  }
  if (message === 'exit') process.exit(0)
})

server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
})
