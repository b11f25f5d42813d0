// The Faultline instance every chaos process builds the same way (API and workers), on a BullMQ
// runner, with its report and log lines written to the process's journal.
import { createBullmqRunner } from '@faultline/bullmq'
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, handle, type TaskContext } from '@faultline/server'
import { z } from 'zod'
import { openJournal } from './journal'

/** `slow` runs a few seconds, long enough to be killed mid-task on purpose; it is a task of its own. */
export const MODES = ['ok', 'poison-throw', 'poison-hang', 'slow'] as const
export type Mode = (typeof MODES)[number]

/** The task's retry policy: what a poison task goes through before it fails. */
export const RETRY = { attempts: 3, baseMs: 20, maxMs: 100 } as const
/** The task's timeout: each attempt of a poison-hang task ends here. */
export const TIMEOUT_MS = 500

/** How long a `slow` task runs, and its own timeout. */
export const SLOW_MS = 3_000

/** A dependency that is always down: mapped to UNAVAILABLE, which is retryable. */
class DependencyDown extends Error {}

const errors = defineErrors({})

/** What the API process chooses: whether a call returns before or after its tasks are in Redis. */
export type Durability = 'before-response' | 'after-response'

/** Reads the process's settings from its environment; throws naming what is missing. */
export function chaosEnv(role: string) {
  const { REDIS_URL, QUEUE_NAME, JOURNAL_DIR, DURABILITY = 'before-response' } = process.env
  if (!REDIS_URL || !QUEUE_NAME || !JOURNAL_DIR) {
    throw new Error(`chaos ${role}: set REDIS_URL, QUEUE_NAME and JOURNAL_DIR`)
  }
  if (DURABILITY !== 'before-response' && DURABILITY !== 'after-response') {
    throw new Error(`chaos ${role}: DURABILITY is before-response or after-response; got ${DURABILITY}`)
  }
  return { url: REDIS_URL, queueName: QUEUE_NAME, journalDir: JOURNAL_DIR, durability: DURABILITY as Durability }
}

export function buildChaosFaultline(role: 'api' | 'worker') {
  const env = chaosEnv(role)
  const write = openJournal(env.journalDir, role)

  const payload = z.object({ ref: z.string(), mode: z.enum(MODES) })
  const run = async ({ ref, mode }: z.infer<typeof payload>, task: TaskContext) => {
    const mark = (kind: 'start' | 'done') => write({ kind, taskId: task.taskId, attempt: task.attempt, ref, mode })
    mark('start')
    if (mode === 'poison-throw') throw new DependencyDown('the ledger is down')
    if (mode === 'poison-hang') await new Promise(() => {})
    await new Promise((resolve) => setTimeout(resolve, mode === 'slow' ? SLOW_MS : 50 + Math.random() * 250))
    mark('done')
  }
  const place = defineTask({ name: 'place', payload, timeoutMs: TIMEOUT_MS, retry: RETRY, run })
  const placeSlow = defineTask({ name: 'place-slow', payload, timeoutMs: 2 * SLOW_MS, retry: RETRY, run })

  const runner = createBullmqRunner({
    connection: { url: env.url },
    queueName: env.queueName,
    durability: env.durability,
  })
  const line = (level: string) => (obj: object, msg: string) => {
    const { code, taskId } = obj as { code?: unknown; taskId?: unknown }
    write({ kind: 'log', level, msg, code, taskId })
  }
  const fl = createFaultline({
    errors,
    expose: 'safe',
    logger: { info: line('info'), warn: line('warn'), error: line('error') },
    report: (e) => {
      const event = { kind: 'report' as const, source: e.source, code: e.code }
      write(e.taskId === undefined ? event : { ...event, taskId: e.taskId, attempt: e.attempt ?? 0 })
    },
    handlers: [handle(DependencyDown, () => errors.UNAVAILABLE())],
    background: { tasks: [place, placeSlow], runner },
  })
  return { fl, runner }
}
