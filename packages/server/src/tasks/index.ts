import { initTRPC } from '@trpc/server'
import type { Resolver } from '../resolver'
import { type Background, callBackground, REQUEST_TASKS, RequestTasks } from './background'
import type { AnyTaskDefinition } from './define'
import { requireTask, taskIdInput, watchTask } from './router'
import { type BackgroundOptions, createTaskRunner } from './runner'

type Formatter = Parameters<typeof initTRPC.create>[0] extends infer O
  ? O extends { errorFormatter?: infer F }
    ? F
    : never
  : never

/** Everything background tasks add to a Faultline instance. */
export function createBackground<TTasks extends readonly AnyTaskDefinition[]>(
  engine: Resolver,
  opts: BackgroundOptions<TTasks>,
  errorFormatter: NonNullable<Formatter>,
) {
  const runner = createTaskRunner(engine, engine.serialize, opts)
  // pieces built on a root of their own: apps join them with `.concat()` or nest the router
  const tt = initTRPC.context<object>().create({ errorFormatter })

  const piece = tt.procedure.use(async ({ ctx, next }) => {
    const c = ctx as { requestId?: unknown; [REQUEST_TASKS]?: RequestTasks }
    const call = callBackground(runner, typeof c.requestId === 'string' ? c.requestId : undefined)
    const result = await next({ ctx: { background: call.background as Background<TTasks> } })
    call.settle(result.ok, c[REQUEST_TASKS])
    return result
  })

  const router = tt.router({
    status: tt.procedure.input(taskIdInput).query(({ input }) => requireTask(runner, input.id)),
    watch: tt.procedure.input(taskIdInput).subscription(({ input, signal }) => watchTask(runner, input.id, signal)),
  })

  return {
    runner,
    piece,
    router,
    /** The request's task state, added to the context by `createContext`. */
    requestState(opts: object, waitUntil: ((promise: Promise<void>) => void) | undefined) {
      const state = new RequestTasks(runner, waitUntil)
      const res = (opts as { res?: { once?: unknown } }).res
      // node adapters: tasks start when the response has been written (or the client went away)
      if (res && typeof res.once === 'function') {
        const once = res.once.bind(res) as (event: string, fn: () => void) => void
        once('finish', () => state.handOff())
        once('close', () => state.handOff())
        return { state, nodeResponse: true }
      }
      return { state, nodeResponse: false }
    },
  }
}

export type { Background } from './background'
export { REQUEST_TASKS, RequestTasks } from './background'
