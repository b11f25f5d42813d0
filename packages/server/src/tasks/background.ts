import { type AnyCatalog, FaultlineError, type inferEnvelope } from '@faultline/contract'
import { initTRPC } from '@trpc/server'
import type { Config } from '../config'
import type { Engine } from '../engine/engine'
import { describe, safeGet } from '../engine/inspect'
import { isPlainJson } from '../engine/plain-json'
import { type RequestScope, scopeOfContext } from '../engine/scope'
import { idMaker } from '../random-id'
import { runAttempt } from './attempt'
import type { AnyTaskDefinition } from './define'
import { inProcessRunner } from './in-process'
import { createLedger } from './ledger'
import type { BackgroundOptions, TasksControl } from './options'
import { checkPayload, createRegistry } from './registry'
import { requireTask, taskIdInput, watchTask } from './router'
import type { DrainResult, TaskHost, TaskJob } from './runner'
import { type Background, CallBackground, PreparedTask, RequestTasks, requestTasks, type TaskDesk } from './staging'
import type { TaskRecord } from './store'
import { createTaskContext } from './task-context'

const newTaskId = idMaker('task_')
// when a call whose tasks could not be queued may be tried again
const PERSIST_RETRY_AFTER_MS = 1000

type Formatter = Parameters<typeof initTRPC.create>[0] extends infer O
  ? O extends { errorFormatter?: infer F }
    ? F
    : never
  : never

/**
 * Background tasks of an instance, wired: the registry of definitions, the runner, the ledger of
 * records, and the staging of each request's tasks; the procedure piece that gives each call
 * `ctx.background`, and the router that serves status.
 */
export function createBackground<TCatalog extends AnyCatalog, TTasks extends readonly AnyTaskDefinition[]>(
  engine: Engine,
  config: Config,
  opts: BackgroundOptions<TTasks>,
  errorFormatter: NonNullable<Formatter>,
) {
  const registry = createRegistry(opts.tasks, opts.retry)
  const runner = opts.runner ?? inProcessRunner(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency })
  const ledger = createLedger({ engine, runner, store: opts.store, keepFailures: opts.raiseUnexpected === true })
  const context = createTaskContext(config.taskContext, engine)
  const host: TaskHost = {
    definitions: registry.definitions,
    retryPolicy: registry.retryPolicy,
    attempt: context.around((job, attempt, signal, claim) =>
      runAttempt(registry, ledger.fail, { job, attempt, signal, claim }),
    ),
    fail: ledger.fail,
    transition: ledger.transition,
    interrupt: ledger.interrupt,
    logInternal: (message, cause, extra) => engine.fault('tasks', cause, message, extra),
  }
  runner.attach(host)
  // tasks of calls still running, or whose response has not gone yet
  const prepared = new Set<PreparedTask>()

  /** The jobs of the tasks that leave `prepared` for the runner now. */
  const take = (tasks: readonly PreparedTask[]): TaskJob[] => {
    const jobs: TaskJob[] = []
    for (const task of tasks) {
      if (!task.leave('committed')) continue
      prepared.delete(task)
      jobs.push(task.job)
    }
    return jobs
  }
  /** Jobs the runner holds now, or that will never run: status no longer answers for them here. */
  const forget = (jobs: readonly TaskJob[]) => {
    for (const job of jobs) ledger.forget(job.id)
  }
  /** The runner's `enqueue`, a throw turned into a rejection. */
  const handOver = (jobs: readonly TaskJob[]): Promise<void> => {
    try {
      return Promise.resolve(runner.enqueue(jobs))
    } catch (cause) {
      return Promise.reject(cause)
    }
  }

  const desk: TaskDesk = {
    prepare(name, payload, requestId) {
      const def = registry.require(name, 'enqueue')
      checkPayload(def, payload, 'enqueue')
      try {
        // plain JSON (or no payload) serializes with any transformer: only the rest is tried
        if (payload !== undefined && !isPlainJson(payload)) config.serialize(payload)
      } catch (cause) {
        throw new TypeError(`enqueue: the payload of ${name} cannot be serialized: ${describe(cause).message}`)
      }
      const job = context.capture({ id: newTaskId(), task: name, payload, requestId, createdAt: Date.now() })
      runner.check?.(job)
      const task = new PreparedTask(job)
      prepared.add(task)
      ledger.prepared(job)
      return task
    },
    beforeResponse: runner.takes === 'before-response',
    commit(tasks) {
      const jobs = take(tasks)
      if (jobs.length === 0) return Promise.resolve()
      return handOver(jobs).then(
        () => forget(jobs),
        (cause) => ledger.notTaken(jobs, cause),
      )
    },
    persist(tasks) {
      const jobs = take(tasks)
      if (jobs.length === 0) return Promise.resolve()
      return handOver(jobs).then(
        () => forget(jobs),
        (cause) => {
          forget(jobs)
          // the call's one failure, logged and reported as the request's: the tasks were never queued
          throw new FaultlineError({
            code: 'UNAVAILABLE',
            message: 'Background work could not be queued; try again shortly',
            data: undefined,
            retryAfterMs: PERSIST_RETRY_AFTER_MS,
            cause,
          })
        },
      )
    },
    discard(task) {
      if (!task.leave('discarded')) return
      prepared.delete(task)
      ledger.forget(task.job.id)
    },
  }

  const drain = async (drainOpts: { timeoutMs?: number } = {}): Promise<DrainResult> => {
    const timeoutMs = drainOpts.timeoutMs ?? 10_000
    const deadline = Date.now() + timeoutMs
    const interrupted: string[] = []
    if (prepared.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        Promise.all([...prepared].map((task) => task.handed())),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(timer)
      // never handed to the runner in time: given up on here, as the runner gives up on its own
      for (const task of prepared) {
        task.leave('interrupted')
        prepared.delete(task)
        await ledger.interrupt(task.job, 0)
        interrupted.push(task.job.id)
      }
    }
    try {
      const result = await runner.drain(Math.max(0, deadline - Date.now()))
      interrupted.push(...result.interrupted)
    } catch (cause) {
      engine.fault('tasks', cause, 'faultline: the task runner failed to drain')
    }
    if (opts.raiseUnexpected) {
      const crashes = ledger.takeCrashes()
      if (crashes.length) {
        throw new AggregateError(
          crashes.map((c) => c.error),
          `${crashes.length} background task(s) failed unexpectedly: ${crashes.map((c) => `${c.task} (${c.envelope.code})`).join(', ')}`,
        )
      }
    }
    return { interrupted }
  }

  /** The request's task state, made at its first task; whichever copy of this package made the scope. */
  const tasksOf = (scope: RequestScope | undefined): RequestTasks | undefined => {
    if (!scope) return undefined
    const state = scope.tasks
    if (state instanceof RequestTasks) return state
    if (state === undefined) {
      const made = requestTasks(desk, scope)
      scope.tasks = made
      return made
    }
    return typeof safeGet(state, 'commit') === 'function' ? (state as RequestTasks) : undefined
  }

  const tasks: TasksControl = { status: ledger.get, watch: ledger.watch, drain, failures: ledger.failures }

  // pieces built on a root of their own: apps join them with `.concat()` or nest the router
  const tt = initTRPC.context<object>().create({ errorFormatter })
  const piece = tt.procedure.use(async ({ ctx, next, type }) => {
    const c = ctx as { requestId?: unknown }
    const call = new CallBackground(desk, typeof c.requestId === 'string' ? c.requestId : undefined)
    const result = await next({ ctx: { background: call as Background<TTasks> } })
    // a subscription's response lasts as long as the subscription: its tasks do not wait for it
    const persisting = CallBackground.settle(call, result.ok, () =>
      type === 'subscription' ? undefined : tasksOf(scopeOfContext(ctx)),
    )
    // a runner that takes tasks before the response: the call answers once they are held, or fails
    if (persisting) await persisting
    return result
  })

  // records hold envelopes the engine built from this catalog: clients get them typed
  type Record = TaskRecord<inferEnvelope<TCatalog>>
  const router = tt.router({
    status: tt.procedure.input(taskIdInput).query(async ({ input }) => (await requireTask(tasks, input.id)) as Record),
    watch: tt.procedure
      .input(taskIdInput)
      .subscription(({ input, signal }) => watchTask(tasks, input.id, signal) as AsyncGenerator<Record, void>),
  })

  return {
    piece,
    router,
    tasks,
  }
}
