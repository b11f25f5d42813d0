import type { AnyCatalog, inferEnvelope } from '@faultline/contract'
import { initTRPC } from '@trpc/server'
import { safeGet } from '../inspect'
import { REQUEST_TAG, RequestMark, type Resolver } from '../resolver'
import { type Background, callBackground, RequestTasks } from './background'
import { createTaskCore } from './core'
import type { AnyTaskDefinition } from './define'
import { requireTask, taskIdInput, watchTask } from './router'
import type { BackgroundOptions } from './runner'
import type { TaskRecord } from './store'

type Formatter = Parameters<typeof initTRPC.create>[0] extends infer O
  ? O extends { errorFormatter?: infer F }
    ? F
    : never
  : never

/** The task state a request's mark carries, whichever copy of this package made the mark. */
function requestTasks(mark: unknown): RequestTasks | undefined {
  if (mark instanceof RequestMark) return mark.tasks
  const tasks = safeGet(mark, 'tasks')
  return typeof safeGet(tasks, 'commit') === 'function' ? (tasks as RequestTasks) : undefined
}

/** Everything background tasks add to a Faultline instance. */
export function createBackground<TCatalog extends AnyCatalog, TTasks extends readonly AnyTaskDefinition[]>(
  engine: Resolver,
  opts: BackgroundOptions<TTasks>,
  errorFormatter: NonNullable<Formatter>,
) {
  const runner = createTaskCore(engine, opts)
  // pieces built on a root of their own: apps join them with `.concat()` or nest the router
  const tt = initTRPC.context<object>().create({ errorFormatter })

  const piece = tt.procedure.use(async ({ ctx, next, type }) => {
    const c = ctx as { requestId?: unknown; [REQUEST_TAG]?: unknown }
    const call = callBackground(runner, typeof c.requestId === 'string' ? c.requestId : undefined)
    const result = await next({ ctx: { background: call.background as Background<TTasks> } })
    // a subscription's response lasts as long as the subscription: its tasks do not wait for it
    call.settle(result.ok, type === 'subscription' ? undefined : requestTasks(c[REQUEST_TAG]))
    return result
  })

  // records hold envelopes the engine built from this catalog: clients get them typed
  type Record = TaskRecord<inferEnvelope<TCatalog>>
  const router = tt.router({
    status: tt.procedure.input(taskIdInput).query(async ({ input }) => (await requireTask(runner, input.id)) as Record),
    watch: tt.procedure
      .input(taskIdInput)
      .subscription(({ input, signal }) => watchTask(runner, input.id, signal) as AsyncGenerator<Record, void>),
  })

  return {
    runner,
    piece,
    router,
    /**
     * The request's task state, added to the context by `createContext`, and
     * how it learns that the response has gone: a node HTTP response's
     * `finish`; `responseMeta` for fetch adapters (the Response is produced
     * right after it), which then calls `responseProduced`; on the next turn
     * otherwise (a WebSocket connection). Nothing is watched until a call
     * commits a task.
     */
    requestState(
      opts: object,
      waitUntil: ((promise: Promise<void>) => void) | undefined,
    ): { state: RequestTasks; responseProduced?: () => void } {
      type NodeResponse = { once?: unknown; writeHead?: unknown; writableFinished?: unknown; destroyed?: unknown }
      const o = opts as { res?: NodeResponse & { raw?: NodeResponse }; resHeaders?: unknown }
      // Fastify wraps the node response as `reply.raw`
      const res = o.res && typeof o.res.writeHead !== 'function' && o.res.raw ? o.res.raw : o.res
      if (res && typeof res.once === 'function' && typeof res.writeHead === 'function') {
        const once = res.once.bind(res) as (event: string, fn: () => void) => void
        const state = new RequestTasks(runner, waitUntil, (handOff) => {
          // the response has already gone (or the client went away): start now
          if (res.writableFinished === true || res.destroyed === true) return handOff()
          once('finish', handOff)
          // the client went away: the procedure's work is done, so its tasks still run
          once('close', handOff)
        })
        return { state }
      }
      if (o.resHeaders instanceof Headers) {
        let produced = false
        let pending: (() => void) | undefined
        const state = new RequestTasks(runner, waitUntil, (handOff) => {
          if (produced) setTimeout(handOff, 0)
          else pending = handOff
        })
        const responseProduced = () => {
          produced = true
          if (pending) setTimeout(pending, 0)
        }
        return { state, responseProduced }
      }
      return { state: new RequestTasks(runner, waitUntil, (handOff) => setTimeout(handOff, 0)) }
    },
  }
}

export type { Background } from './background'
export { RequestTasks } from './background'
