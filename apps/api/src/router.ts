import { createFaultline, handle, type Logger } from '@faultline/server'
import type { TaskRunner } from '@faultline/server/runner'
import { initTRPC } from '@trpc/server'
import superjson from 'superjson'
import { z } from 'zod'
import { errors, GatewayDeclined, MailboxBounced } from './errors'
import type { Store } from './store'
import { sendReceipt } from './tasks'

export interface Context {
  requestId: string
  user: { id: string; role: 'customer' | 'admin' } | undefined
  store: Store
  ip: string
}

const RATE_WINDOW_MS = 10_000
const RATE_MAX = 3

/**
 * Builds the example API: the Faultline instance and the router wired to it.
 * Background tasks run in this process unless a `runner` (a BullMQ queue) is given.
 */
export function createApi(opts: { logger: Logger | false; expose?: 'safe' | 'debug'; runner?: TaskRunner }) {
  const fl = createFaultline({
    errors,
    transformer: superjson,
    logger: opts.logger,
    ...(opts.expose ? { expose: opts.expose } : {}),
    handlers: [
      handle(GatewayDeclined, (e) => errors.PAYMENT_DECLINED({ declineCode: e.reason })),
      handle(MailboxBounced, (e) => errors.RECEIPT_BOUNCED({ email: e.email })),
    ],
    background: { tasks: [sendReceipt], ...(opts.runner ? { runner: opts.runner } : {}) },
  })
  const t = initTRPC.context<Context>().create({ transformer: superjson, errorFormatter: fl.errorFormatter })
  // every procedure may queue background work through ctx.background
  const procedure = t.procedure.concat(fl.background)

  // each procedure declares the catalog codes it may throw; clients see exactly those
  const authed = t.procedure.errors(fl.declare('UNAUTHORIZED')).use(({ ctx, next }) => {
    if (!ctx.user) throw errors.UNAUTHORIZED({ headers: { 'WWW-Authenticate': 'Bearer realm="faultline-example"' } })
    return next({ ctx: { user: ctx.user } })
  })

  const hits = new Map<string, number[]>()
  const limited = t.procedure.errors(fl.declare('RATE_LIMITED')).use(({ ctx, next }) => {
    const now = Date.now()
    const recent = (hits.get(ctx.ip) ?? []).filter((at) => now - at < RATE_WINDOW_MS)
    if (recent.length >= RATE_MAX) {
      const oldest = recent[0] ?? now
      throw errors.RATE_LIMITED({ retryAfterMs: RATE_WINDOW_MS - (now - oldest) })
    }
    hits.set(ctx.ip, [...recent, now])
    return next()
  })

  const orderInput = z.object({
    sku: z.string().min(1, 'Choose a product'),
    quantity: z.number().int().min(1, 'At least one').max(10, 'At most ten'),
    email: z.email('Enter a valid email address'),
  })

  const router = t.router({
    order: t.router({
      create: procedure
        .errors(fl.declare('OUT_OF_STOCK'))
        .input(orderInput)
        .mutation(({ ctx, input }) => {
          const available = ctx.store.stock(input.sku)
          if (available < input.quantity) throw errors.OUT_OF_STOCK({ sku: input.sku, available })
          const order = ctx.store.create(input)
          // the receipt goes out after the response; its failure is visible through tasks.status
          const receiptTaskId = ctx.background.enqueue('send-receipt', { orderId: order.id, email: order.email })
          return { order, receiptTaskId }
        }),
      byId: t.procedure
        .errors(fl.declare('ORDER_NOT_FOUND'))
        .input(z.object({ id: z.string() }))
        .query(({ ctx, input }) => {
          const order = ctx.store.get(input.id)
          if (!order) throw errors.ORDER_NOT_FOUND({ orderId: input.id })
          return order
        }),
      pay: t.procedure
        .errors(fl.declare('ORDER_NOT_FOUND', 'PAYMENT_DECLINED'))
        .input(z.object({ id: z.string(), card: z.string() }))
        .mutation(({ ctx, input }) => {
          if (!ctx.store.get(input.id)) throw errors.ORDER_NOT_FOUND({ orderId: input.id })
          // the pretend gateway declines cards ending in 0000 and expired ones ending in 1111
          if (input.card.endsWith('0000')) throw new GatewayDeclined('insufficient_funds')
          if (input.card.endsWith('1111')) throw new GatewayDeclined('card_expired')
          return ctx.store.markPaid(input.id)
        }),
    }),
    stock: limited.input(z.object({ sku: z.string() })).query(({ ctx, input }) => ({
      sku: input.sku,
      available: ctx.store.stock(input.sku),
    })),
    admin: t.router({
      report: authed.errors(fl.declare('FORBIDDEN')).query(({ ctx }) => {
        if (ctx.user.role !== 'admin') throw errors.FORBIDDEN()
        return { generatedAt: new Date() }
      }),
    }),
    /** A deliberate bug: the output breaks its schema, answered as INTERNAL and logged as a server bug. */
    orderSummary: t.procedure
      .errors(fl.declare('ORDER_NOT_FOUND'))
      .input(z.object({ id: z.string() }))
      .output(z.object({ id: z.string(), total: z.number() }))
      .query(({ ctx, input }) => {
        const order = ctx.store.get(input.id)
        if (!order) throw errors.ORDER_NOT_FOUND({ orderId: input.id })
        // the bug: a formatted string where the schema promises a number
        return { id: order.id, total: `${order.quantity * 12}.00 EUR` as unknown as number }
      }),
    /** Status updates of an order until it is paid; a missing order ends it with ORDER_NOT_FOUND. */
    orderUpdates: t.procedure
      .errors(fl.declare('ORDER_NOT_FOUND'))
      .input(z.object({ id: z.string() }))
      .subscription(async function* ({ ctx, input, signal }) {
        const first = ctx.store.get(input.id)
        if (!first) throw errors.ORDER_NOT_FOUND({ orderId: input.id })
        yield first
        if (first.status === 'paid') return
        const paid = await new Promise<typeof first | undefined>((resolve) => {
          const stop = ctx.store.onChange(input.id, (order) => {
            stop()
            resolve(order)
          })
          signal?.addEventListener('abort', () => {
            stop()
            resolve(undefined)
          })
        })
        if (paid) yield paid
      }),
    tasks: fl.taskRouter,
    /** A deliberate bug, to show how a crash is answered and logged. */
    brokenReport: t.procedure.errors(fl.declare()).query(() => {
      const cache = new Map<string, { rows: number }>()
      return { rows: (cache.get('report') as { rows: number }).rows }
    }),
  })

  return { fl, router }
}

export type AppRouter = ReturnType<typeof createApi>['router']
