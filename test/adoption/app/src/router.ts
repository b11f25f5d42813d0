// The server's Faultline instance and router: the errorFormatter is the first of the three places to wire.
import { createFaultline, handle } from '@faultline/server'
import { initTRPC } from '@trpc/server'
import superjson from 'superjson'
import { z } from 'zod'
import { errors } from './errors.js'

/** A payment gateway's own error, which a handler maps to the catalog. */
export class GatewayDeclined extends Error {
  constructor(readonly reason: string) {
    super(`gateway declined: ${reason}`)
  }
}

export interface Context {
  requestId: string
  user: string | undefined
}

export const fl = createFaultline({
  errors,
  transformer: superjson,
  handlers: [handle(GatewayDeclined, (e) => errors.PAYMENT_DECLINED({ declineCode: e.reason }))],
  report: (event) => {
    console.log(JSON.stringify({ reported: event.code, handled: event.handled, requestId: event.requestId }))
  },
})

const t = initTRPC.context<Context>().create({ transformer: superjson, errorFormatter: fl.errorFormatter })

const authed = t.procedure.errors(fl.declare('UNAUTHORIZED')).use(({ ctx, next }) => {
  if (!ctx.user) throw errors.UNAUTHORIZED({ headers: { 'WWW-Authenticate': 'Bearer' } })
  return next({ ctx: { user: ctx.user } })
})

export const router = t.router({
  user: t.router({
    byId: t.procedure
      .errors(fl.declare('USER_NOT_FOUND'))
      .input(z.object({ id: z.string() }))
      .query(({ input }) => {
        if (input.id === 'u_1') return { id: 'u_1', name: 'Ada' }
        throw errors.USER_NOT_FOUND({ userId: input.id })
      }),
    create: t.procedure.input(z.object({ email: z.email(), name: z.string().min(2) })).mutation(({ input }) => {
      if (input.email === 'taken@example.com') throw errors.EMAIL_TAKEN({ email: input.email })
      return { id: 'u_2', ...input }
    }),
    me: authed.query(({ ctx }) => ({ id: ctx.user })),
  }),
  pay: t.procedure.input(z.object({ card: z.string() })).mutation(() => {
    throw new GatewayDeclined('insufficient_funds')
  }),
  search: t.procedure.query(() => {
    throw errors.RATE_LIMITED({ retryAfterMs: 2_000 })
  }),
  // a crash whose message must never reach a client
  stats: t.procedure.query(() => {
    throw new Error('relation "secret_users" does not exist at /srv/app/db.ts:42')
  }),
})

export type AppRouter = typeof router
