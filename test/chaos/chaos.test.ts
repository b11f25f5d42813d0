// The chaos scenarios at CI size, on real processes and a real redis-server: workers killed and
// frozen, Redis killed and restarted, the API process killed right after responses, poison tasks.
// Each must end with nothing lost, stuck, reported twice or left unreported, no silent 503 for a
// task that ran, and no process crashed. The full run, with figures: pnpm chaos.
import { afterAll, expect, test } from 'vitest'
import { type Figures, violations } from './accounting'
import { killAll } from './child'
import { RETRY } from './faultline'
import { apiKill, duplicateDelivery, poison, redisRestart, workerKill, workerKilledTwice } from './scenarios'

afterAll(killAll)

const NONE = {
  lost: 0,
  stuck: 0,
  duplicateReports: 0,
  unreported: 0,
  unrunReports: 0,
  silentPhantoms: 0,
  wrongAnswers: 0,
  crashed: 0,
}

/** Asserts the invariants, showing what broke (task, attempt) when one fails. */
function expectClean(f: Figures) {
  expect({ ...violations(f), problems: f.problems }).toEqual({ ...NONE, problems: [] })
}

test('worker kill: every task a killed worker was running finishes on another, each lost attempt reported once', async () => {
  const run = await workerKill({ kills: 2, clients: 3 })
  expectClean(run.figures)
  expect(run.workerKills).toBe(2)
  expect(run.figures.queued).toBeGreaterThan(0)
  expect(run.figures.succeeded + run.figures.failed + run.figures.interrupted).toBe(run.figures.queued)
  // the killed workers had attempts in flight: they were taken back and run again
  expect(run.figures.tasks.filter((t) => t.started > 1 && t.reported.length === t.started - 1).length).toBeGreaterThan(
    0,
  )
})

test('worker killed twice on one task: BullMQ fails the job, and each of the two lost attempts is reported once', async () => {
  const run = await workerKilledTwice()
  expectClean(run.figures)
  expect(run.workerKills).toBe(2)
  // BullMQ fails the job as it takes it a third time (it stalled twice): that start never runs,
  // the two lost before it are the ones reported
  expect(run.figures.tasks).toEqual([expect.objectContaining({ state: 'failed', started: 3, reported: [1, 2] })])
})

test('redis restart: every call is answered 200 or a typed 503 with Retry-After, every 200 finishes, no process exits', async () => {
  const run = await redisRestart({ restarts: 2, clients: 3, upMs: 1_000 })
  expectClean(run.figures)
  expect(run.figures.dropped).toBe(0)
  // an outage longer than the enqueue timeout: some calls were refused, typed
  expect(run.figures.unavailable).toBeGreaterThan(0)
  expect(run.figures.queued).toBeGreaterThan(0)
  // finished, each one: a task running through two outages longer than its lock stalls twice, and
  // BullMQ fails it (maxStalledCount 1), its lost attempts reported
  expect(run.figures.succeeded + run.figures.failed + run.figures.interrupted).toBe(run.figures.queued)
})

test('api kill: every task answered queued is in Redis and finishes, though the API dies right after responding', async () => {
  const run = await apiKill({ kills: 2, clients: 3, durability: 'before-response' })
  expectClean(run.figures)
  expect(run.apiKills).toBe(2)
  expect(run.figures.succeeded).toBe(run.figures.queued)
})

test('poison: a task that always throws or always hangs is retried per its policy, then failed, without blocking the queue', async () => {
  const run = await poison({ tasks: 60, poison: 2 })
  expectClean(run.figures)
  const { byMode, tasks } = run.figures
  expect(byMode.ok).toMatchObject({ succeeded: 60, failed: 0 })
  for (const mode of ['poison-throw', 'poison-hang'] as const) {
    expect(byMode[mode]).toEqual({ succeeded: 0, failed: 2, attempts: [RETRY.attempts, RETRY.attempts] })
  }
  // the normal tasks did not wait behind them: most finished before the last poison task failed
  const lastPoison = Math.max(...tasks.filter((t) => t.mode !== 'ok').map((t) => t.finishedOn))
  expect(tasks.filter((t) => t.mode === 'ok' && t.finishedOn < lastPoison).length).toBeGreaterThan(30)
})

test('duplicate delivery: a worker frozen past its locks and resumed after another re-ran its jobs reports no attempt twice', async () => {
  const run = await duplicateDelivery({ freezes: 1, clients: 2, frozenMs: 2_500 })
  expectClean(run.figures)
  expect(run.freezes).toBe(1)
  // the frozen attempts were run again elsewhere
  expect(run.figures.tasks.some((t) => t.started > 1)).toBe(true)
})
