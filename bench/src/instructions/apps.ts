// The two servers the instruction counts compare, in process: the same router served by tRPC's
// fetch adapter on a `Request` (no sockets), once with tRPC's default formatter (plain) and once
// with Faultline. Every error path goes through the adapter, so Faultline's formatter, `onError`
// and `responseMeta` all run, as they do in a deployed app.
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, type Logger } from '@faultline/server'
import { initTRPC, TRPCError } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import superjson from 'superjson'
import { z } from 'zod'

export type Side = 'plain' | 'faultline'
export type Transformer = 'json' | 'superjson'

export const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
})

// Both sides write one serialized line per failure into a variable: the line is built and
// stringified (its cost is counted on both sides), then dropped. As in the HTTP bench, both log the
// stack of a crash and no stack for an expected error.
export const logged = { lines: 0, last: '' }
export const sink = (obj: object, msg: string): void => {
  logged.last = JSON.stringify({ level: 'x', time: Date.now(), ...obj, msg })
  logged.lines++
}
const logger: Logger = { info: sink, warn: sink, error: sink }

// the background work, the same functions on both sides
export const work = { failed: 0, done: 0 }
const sendWebhook = () => {
  work.failed++
  throw new Error('webhook endpoint refused the connection')
}
const recordVisit = () => {
  work.done++
  return { ok: true }
}

type Ctx = { requestId: string }
type Background = { enqueue(name: 'failing-work' | 'succeeding-work'): string }

/** One request handler: plain tRPC or tRPC with Faultline, the same router, the given transformer. */
export function buildServer(side: Side, transformer: Transformer) {
  const failingWork = defineTask({ name: 'failing-work', retry: { attempts: 1 }, run: sendWebhook })
  const succeedingWork = defineTask({ name: 'succeeding-work', run: recordVisit })
  const fl = createFaultline({
    errors,
    logger,
    expose: 'safe',
    ...(transformer === 'superjson' ? { transformer: superjson } : {}),
    background: { tasks: [failingWork, succeedingWork] },
  })
  const plainT = initTRPC.context<Ctx>().create(transformer === 'superjson' ? { transformer: superjson } : {})
  // the same router on both sides: typed through the plain root, wired at runtime for each
  const t =
    side === 'faultline'
      ? (initTRPC.context<Ctx>().create({
          ...(transformer === 'superjson' ? { transformer: superjson } : {}),
          errorFormatter: fl.errorFormatter,
        }) as unknown as typeof plainT)
      : plainT
  const withBackground =
    side === 'faultline' ? t.procedure.concat(fl.background as unknown as typeof plainT.procedure) : t.procedure
  // Faultline's procedure declares the code it throws, as the README has apps do
  const declaring =
    side === 'faultline'
      ? t.procedure.errors(fl.declare('USER_NOT_FOUND') as unknown as Parameters<typeof t.procedure.errors>[0])
      : t.procedure

  // plain tRPC: the work after the call, its failure caught and logged by hand (the HTTP bench's way)
  const plainBackground = (run: () => unknown) =>
    setImmediate(async () => {
      try {
        await run()
      } catch (e) {
        sink({ error: (e as Error).message, stack: (e as Error).stack }, 'task failed')
      }
    })
  const queue = (ctx: object, name: 'failing-work' | 'succeeding-work') => {
    const background = (ctx as { background?: Background }).background
    if (background) background.enqueue(name)
    else plainBackground(name === 'failing-work' ? sendWebhook : recordVisit)
    return { queued: true }
  }

  // the same procedure behind a middleware that adds to the context: Faultline's gives each call
  // `ctx.background`, plain tRPC's the one-line middleware any such addition takes
  const throughMiddleware =
    side === 'faultline' ? withBackground : t.procedure.use(({ next }) => next({ ctx: { background: undefined } }))
  const user = () => ({ id: 'u_1', name: 'Ada', roles: ['admin', 'author'] })

  const router = t.router({
    ok: t.procedure.query(user),
    okThroughMiddleware: throughMiddleware.query(user),
    declared: declaring.query(() => {
      if (side === 'faultline') throw errors.USER_NOT_FOUND({ userId: 'u_404' })
      throw new TRPCError({ code: 'NOT_FOUND', message: 'User not found' })
    }),
    crash: t.procedure.query(() => {
      const row = null as unknown as { name: string }
      return row.name
    }),
    validate: t.procedure.input(z.object({ email: z.email(), age: z.number().int() })).query(({ input }) => input),
    badOutput: t.procedure
      .output(z.object({ id: z.string(), name: z.string() }))
      .query(() => ({ id: 'u_1', name: 7 }) as unknown as { id: string; name: string }),
    queueFailing: withBackground.mutation(({ ctx }) => queue(ctx, 'failing-work')),
    queueSucceeding: withBackground.mutation(({ ctx }) => queue(ctx, 'succeeding-work')),
  })

  const hooks =
    side === 'faultline'
      ? { createContext: fl.createContext(), ...fl.adapter() }
      : {
          createContext: (): Ctx => ({ requestId: 'r' }),
          onError: ({ error, path }: { error: TRPCError; path: string | undefined }) =>
            sink(
              {
                code: error.code,
                path,
                ...(error.code === 'INTERNAL_SERVER_ERROR' ? { stack: error.stack } : {}),
              },
              error.message,
            ),
        }

  const handle = (req: Request) => fetchRequestHandler({ endpoint: '/trpc', req, router, ...hooks })
  // in process without an adapter: tRPC's caller, on a context made as the adapter would make it
  const makeContext = side === 'faultline' ? fl.createContext() : async () => ({ requestId: 'r' })
  const caller = async (path: 'ok' | 'okThroughMiddleware' | 'queueFailing' | 'queueSucceeding') => {
    const procedures = router.createCaller(await makeContext({}))
    return procedures[path]()
  }
  /** Waits for every queued task to finish. */
  const drain = async () => {
    if (side === 'faultline') await fl.tasks.drain()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { handle, caller, drain }
}

const ORIGIN = 'http://bench.local/trpc/'
const serialize = (transformer: Transformer, value: unknown) =>
  transformer === 'superjson' ? superjson.serialize(value) : value

/** A request of each server path: its URL, method and body (the batch: 4 calls, one of each kind). */
export function requestOf(path: string, transformer: Transformer): () => Request {
  const bad = { email: 'nope', age: 1.5 }
  const input = (value: unknown) => `?input=${encodeURIComponent(JSON.stringify(serialize(transformer, value)))}`
  switch (path) {
    case 'validate':
      return () => new Request(`${ORIGIN}validate${input(bad)}`)
    case 'batch': {
      const batchInput = { 3: serialize(transformer, bad) }
      const url = `${ORIGIN}ok,declared,crash,validate?batch=1&input=${encodeURIComponent(JSON.stringify(batchInput))}`
      return () => new Request(url)
    }
    case 'queueFailing':
    case 'queueSucceeding': {
      const body = transformer === 'superjson' ? JSON.stringify(superjson.serialize(undefined)) : ''
      return () =>
        new Request(`${ORIGIN}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    }
    default:
      return () => new Request(`${ORIGIN}${path}`)
  }
}
