import type { PreparedTask, TaskCore } from './core'
import type { AnyTaskDefinition, inferTaskPayload, TaskMap } from './define'

/** Queues background tasks from a procedure: `ctx.background.enqueue('send-receipt', { orderId })`. */
export interface Background<TTasks extends readonly AnyTaskDefinition[]> {
  /**
   * Queues a task and returns its id. It starts after the response has been
   * handed to the transport, and only if this procedure succeeds: tasks queued
   * by a procedure that then fails are discarded.
   */
  enqueue<TName extends keyof TaskMap<TTasks> & string>(
    name: TName,
    ...payload: inferTaskPayload<TaskMap<TTasks>[TName]> extends undefined
      ? []
      : [payload: inferTaskPayload<TaskMap<TTasks>[TName]>]
  ): string
}

/** The tasks of one request: committed by each successful call, started once the response is handed off. */
export class RequestTasks {
  #committed: PreparedTask[] = []
  #handedOff = false
  #watching = false

  constructor(
    private readonly core: TaskCore,
    /** Called with every task started, for `waitUntil` on serverless platforms. */
    private readonly waitUntil: ((promise: Promise<void>) => void) | undefined,
    /**
     * Arranges for `handOff` to be called once the response has gone. It is called at the first
     * commit, not before: most requests queue no task, and they pay for no listener or timer.
     */
    private readonly watch: (handOff: () => void) => void,
  ) {}

  /** Tasks of a call that succeeded: they start at hand-off, or now if it already happened. */
  commit(jobs: readonly PreparedTask[]) {
    if (jobs.length === 0) return
    if (this.#handedOff) {
      this.#start(jobs)
      return
    }
    this.#committed.push(...jobs)
    if (this.#watching) return
    this.#watching = true
    this.watch(() => this.handOff())
  }

  /** The response has been handed to the transport: committed tasks start. Idempotent. */
  handOff() {
    if (this.#handedOff) return
    this.#handedOff = true
    const jobs = this.#committed
    this.#committed = []
    this.#start(jobs)
  }

  #start(jobs: readonly PreparedTask[]) {
    if (jobs.length === 0) return
    const done = this.core.commit(jobs)
    this.waitUntil?.(done)
  }
}

/** The per-call `background`: its tasks are committed if the call succeeds, discarded if it fails. */
export function callBackground(core: TaskCore, requestId: string | undefined) {
  const jobs: PreparedTask[] = []
  const background = {
    enqueue(name: string, payload?: unknown) {
      const job = core.prepare(name, payload, requestId)
      jobs.push(job)
      return job.job.id
    },
  }
  return {
    background,
    settle(ok: boolean, request: RequestTasks | undefined) {
      if (!ok) {
        for (const job of jobs) core.discard(job)
        return
      }
      // without the createContext wrapper there is no hand-off signal: start on the next turn
      if (request) request.commit(jobs)
      else if (jobs.length > 0) setTimeout(() => void core.commit(jobs), 0)
    },
  }
}
