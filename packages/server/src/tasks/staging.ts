import type { RequestScope } from '../engine/scope'
import type { AnyTaskDefinition, inferTaskPayload, TaskMap } from './define'
import { nextTurn } from './next-turn'
import type { TaskJob } from './runner'

/** Queues background tasks from a procedure: `ctx.background.enqueue('send-receipt', { orderId })`. */
export interface Background<TTasks extends readonly AnyTaskDefinition[]> {
  /**
   * Queues a task and returns its id. It is handed to the runner only if this procedure succeeds
   * (tasks queued by a procedure that then fails are discarded): in process, it starts once the
   * response has been handed to the transport; a durable queue holds it before the response goes.
   */
  enqueue<TName extends keyof TaskMap<TTasks> & string>(
    name: TName,
    ...payload: inferTaskPayload<TaskMap<TTasks>[TName]> extends undefined
      ? []
      : [payload: inferTaskPayload<TaskMap<TTasks>[TName]>]
  ): string
}

/** A task enqueued by a call, waiting for the call to succeed and its response to go. */
export class PreparedTask {
  state: 'prepared' | 'committed' | 'discarded' | 'interrupted' = 'prepared'
  // only a drain waits for a task to be handed over: the promise is made for it, not for every task
  #settled = false
  #waiting: (() => void)[] | undefined = undefined

  constructor(readonly job: TaskJob) {}

  /** Settles once the task has been handed to the runner or dropped. */
  handed(): Promise<void> {
    if (this.#settled) return Promise.resolve()
    return new Promise((resolve) => {
      this.#waiting ??= []
      this.#waiting.push(resolve)
    })
  }

  /** Leaves `prepared` for `state`; false when it already had. */
  leave(state: 'committed' | 'discarded' | 'interrupted'): boolean {
    if (this.state !== 'prepared') return false
    this.state = state
    this.#settled = true
    for (const resolve of this.#waiting ?? []) resolve()
    this.#waiting = undefined
    return true
  }
}

/** What staging needs of the instance's tasks. */
export interface TaskDesk {
  /** Checks and records a task; throws a TypeError on an unknown task or a bad payload. */
  prepare(name: string, payload: unknown, requestId: string | undefined): PreparedTask
  /** Whether the runner takes a call's tasks before its response (`persist`), not after it (`commit`). */
  readonly beforeResponse: boolean
  /** Hands the tasks of a call that succeeded to the runner; settles when the runner is done with them here. */
  commit(tasks: readonly PreparedTask[]): Promise<void>
  /**
   * Hands the tasks of a call that succeeded to a runner that keeps them durably, while the call
   * waits; rejects with an `UNAVAILABLE` error, the tasks discarded, when the runner cannot take them.
   */
  persist(tasks: readonly PreparedTask[]): Promise<void>
  /** Drops a task whose call failed. */
  discard(task: PreparedTask): void
}

/** The tasks of one request: committed by each successful call, started once the response is handed off. */
export class RequestTasks {
  #committed: PreparedTask[] = []
  #handedOff = false
  #watching = false
  /** Settles the promise given to `waitUntil` at the first commit with the first batch's end. */
  #keep: ((done: Promise<void>) => void) | undefined = undefined

  constructor(
    private readonly desk: TaskDesk,
    /** Called with every batch started, for `waitUntil` on serverless platforms. */
    private readonly waitUntil: ((promise: Promise<void>) => void) | undefined,
    /**
     * Arranges for `handOff` to be called once the response has gone. Called at the first commit,
     * not before: most requests queue no task, and they pay for no listener or timer.
     */
    private readonly watch: (handOff: () => void) => void,
  ) {}

  /** Tasks of a call that succeeded: they start at hand-off, or now if it already happened. */
  commit(tasks: readonly PreparedTask[]) {
    if (tasks.length === 0) return
    if (this.#handedOff) return this.#start(tasks)
    this.#committed.push(...tasks)
    if (this.#watching) return
    this.#watching = true
    // given now, while the request is live: a Workers runtime drops a timer its response outlived
    this.waitUntil?.(new Promise((resolve) => (this.#keep = (done) => void done.then(resolve, resolve))))
    this.watch(() => this.handOff())
  }

  /** The response has been handed to the transport: committed tasks start. Idempotent. */
  handOff() {
    if (this.#handedOff) return
    this.#handedOff = true
    const tasks = this.#committed
    this.#committed = []
    this.#start(tasks)
  }

  #start(tasks: readonly PreparedTask[]) {
    if (tasks.length === 0) return
    const done = this.desk.commit(tasks)
    if (this.#keep) this.#keep(done)
    else this.waitUntil?.(done)
    this.#keep = undefined
  }
}

/** The per-call `background`: its tasks are committed if the call succeeds, discarded if it fails. */
export class CallBackground {
  readonly #desk: TaskDesk
  readonly #requestId: string | undefined
  // most calls queue no task: the list is made by the first
  #tasks: PreparedTask[] | undefined = undefined

  constructor(desk: TaskDesk, requestId: string | undefined) {
    this.#desk = desk
    this.#requestId = requestId
  }

  enqueue(name: string, payload?: unknown): string {
    const task = this.#desk.prepare(name, payload, this.#requestId)
    this.#tasks ??= []
    this.#tasks.push(task)
    return task.job.id
  }

  /**
   * Ends a call. Its tasks are discarded if it failed. Else a runner that takes tasks before the
   * response gets them now, and the promise returned is what the call waits for; otherwise they are
   * committed to its request's tasks (asked of `request` only when there are some), or started on
   * the next turn when it has none.
   */
  static settle(call: CallBackground, ok: boolean, request: () => RequestTasks | undefined): Promise<void> | undefined {
    const tasks = call.#tasks
    if (!tasks) return undefined
    const desk = call.#desk
    if (!ok) {
      for (const task of tasks) desk.discard(task)
      return undefined
    }
    if (desk.beforeResponse) return desk.persist(tasks)
    // without the createContext wrapper there is no hand-off signal: start on the next turn
    const state = request()
    if (state) state.commit(tasks)
    else nextTurn(() => void desk.commit(tasks))
    return undefined
  }
}

/**
 * A request's task state, made when a call commits its first task, and how it learns that the
 * response has gone: a node HTTP response's `finish` (or `close`, when the client went away); for
 * fetch adapters, the scope's `produced()`, which `responseMeta` calls right before the Response is
 * made; on the next turn otherwise (a server-side caller, a WebSocket connection).
 */
export function requestTasks(desk: TaskDesk, scope: RequestScope): RequestTasks {
  type NodeResponse = { once?: unknown; writeHead?: unknown; writableFinished?: unknown; destroyed?: unknown }
  const o = (scope.adapterOpts ?? {}) as { res?: NodeResponse & { raw?: NodeResponse }; resHeaders?: unknown }
  // Fastify wraps the node response as `reply.raw`
  const res = o.res && typeof o.res.writeHead !== 'function' && o.res.raw ? o.res.raw : o.res
  if (res && typeof res.once === 'function' && typeof res.writeHead === 'function') {
    const once = res.once.bind(res) as (event: string, fn: () => void) => void
    return new RequestTasks(desk, scope.waitUntil, (handOff) => {
      if (res.writableFinished === true || res.destroyed === true) return handOff()
      once('finish', handOff)
      // the client went away: the procedure's work is done, so its tasks still run
      once('close', handOff)
    })
  }
  if (o.resHeaders instanceof Headers) {
    return new RequestTasks(desk, scope.waitUntil, (handOff) => {
      if (scope.responseProduced) nextTurn(handOff)
      else scope.onResponseProduced = () => nextTurn(handOff)
    })
  }
  return new RequestTasks(desk, scope.waitUntil, nextTurn)
}
