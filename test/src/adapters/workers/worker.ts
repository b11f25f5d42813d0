// A Cloudflare Worker serving a Faultline router through tRPC's fetch adapter. It is bundled into
// one ESM script and run by workerd (through miniflare) with no Node.js compatibility flag.
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, handle } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { z } from 'zod'

/** The part of the Workers runtime's `ExecutionContext` the worker uses. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

export const errors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, message: 'Order not found', data: z.object({ orderId: z.string() }) },
  RECEIPT_BOUNCED: { status: 422, message: 'Receipt bounced', data: z.object({ email: z.string() }) },
})

/** The mailer's own error, mapped by a handler like a request error. */
class Bounced extends Error {
  constructor(readonly email: string) {
    super(`550 mailbox ${email} unavailable`)
  }
}

/** Request ids whose Response the worker has returned to the runtime. */
const responded = new Set<string>()

const sendReceipt = defineTask({
  name: 'send-receipt',
  payload: z.object({ email: z.string() }),
  async run({ email }, task) {
    if (!responded.has(task.requestId ?? '')) throw new Error('the task started before its response was returned')
    // the mail server takes a while: work the runtime would cut off were it not handed to waitUntil
    await new Promise((resolve) => setTimeout(resolve, 50))
    if (email.endsWith('@bounce.test')) throw new Bounced(email)
  },
})

const fl = createFaultline({
  errors,
  handlers: [handle(Bounced, (e) => errors.RECEIPT_BOUNCED({ email: e.email }))],
  background: { tasks: [sendReceipt] },
})
const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
const procedure = t.procedure.concat(fl.background)

export const router = t.router({
  order: t.procedure.input(z.object({ id: z.string() })).query(({ input }) => {
    if (input.id === 'ord_1') return { id: input.id, total: 42 }
    throw errors.ORDER_NOT_FOUND({ orderId: input.id })
  }),
  crash: t.procedure.query(() => {
    throw new Error('D1_ERROR: no such table: secret_orders')
  }),
  checkout: procedure
    .input(z.object({ email: z.string() }))
    .mutation(({ ctx, input }) => ({ receiptTask: ctx.background.enqueue('send-receipt', input) })),
  tasks: fl.taskRouter,
})

export type WorkerRouter = typeof router

export default {
  async fetch(req: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
    const res = await fetchRequestHandler({
      endpoint: '/trpc',
      req,
      router,
      // the platform keeps the invocation alive until the tasks handed to it settle
      createContext: fl.createContext(undefined, { waitUntil: (promise) => ctx.waitUntil(promise) }),
      ...fl.adapter(),
    })
    responded.add(res.headers.get('x-request-id') ?? '')
    return res
  },
}
