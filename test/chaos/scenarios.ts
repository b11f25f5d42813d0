// The chaos scenarios, each a function of its sizes: it builds its cluster, does its damage under
// load, waits for the queue to settle and returns its figures. The short suite (chaos.test.ts) and
// the full run (run.ts) call the same functions with different sizes.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { account, type Figures, settle } from './accounting'
import type { Child } from './child'
import { type Answer, load, place } from './client'
import { type Cluster, startCluster } from './cluster'
import type { Durability, Mode } from './faultline'
import type { JournalEvent } from './journal'

/** One run of a scenario: its damage, its figures, and how long it took. */
export interface Run {
  scenario: string
  workerKills: number
  /** Workers stopped (SIGSTOP) past their locks, then resumed. */
  freezes: number
  redisRestarts: number
  apiKills: number
  figures: Figures
  ms: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const between = (min: number, max: number) => min + Math.random() * (max - min)

/** What a scenario's body did: the calls' answers and the damage done. */
interface Damage {
  answers: Answer[]
  workerKills?: number
  freezes?: number
  redisRestarts?: number
  apiKills?: number
}

/** How long the queue has to settle after the damage before what is left counts as stuck. */
const SETTLE_MS = 45_000
/** How long the API kill waits for calls answered queued before it gives up on the run. */
const ANSWER_WAIT_MS = 20_000

async function scenario(
  name: string,
  opts: { workers: number; durability?: Durability },
  body: (cluster: Cluster) => Promise<Damage>,
): Promise<Run> {
  const began = Date.now()
  const cluster = await startCluster(opts)
  try {
    const done = await body(cluster)
    await settle(cluster.queue, done.answers, SETTLE_MS)
    const crashed = cluster.started.flatMap((child) => (child.crashed ? [child.crashed] : []))
    const figures = await account({
      queue: cluster.queue,
      journalDir: cluster.journalDir,
      answers: done.answers,
      crashed,
    })
    return {
      scenario: name,
      workerKills: done.workerKills ?? 0,
      freezes: done.freezes ?? 0,
      redisRestarts: done.redisRestarts ?? 0,
      apiKills: done.apiKills ?? 0,
      figures,
      ms: Date.now() - began,
    }
  } finally {
    await cluster.close()
  }
}

/** Calls `place` for every ref, `clients` at a time. */
async function placeAll(url: string, refs: { ref: string; mode: Mode }[], clients: number): Promise<Answer[]> {
  const answers: Answer[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < refs.length) {
        const item = refs[next++]
        if (item) answers.push(await place(url, item.ref, item.mode))
      }
    }),
  )
  return answers
}

/** A worker's journal so far. */
function journalOf(journalDir: string, worker: Child): JournalEvent[] {
  let text = ''
  try {
    text = readFileSync(join(journalDir, `worker-${worker.pid}.jsonl`), 'utf8')
  } catch {
    return []
  }
  return text.split('\n').flatMap((line) => (line ? [JSON.parse(line) as JournalEvent] : []))
}

/** Attempts a worker has started and not ended (no `done`, no report), from its journal. */
function inFlight(journalDir: string, worker: Child): number {
  const open = new Set<string>()
  for (const e of journalOf(journalDir, worker)) {
    if (e.kind === 'log') continue
    const key = `${e.taskId}#${e.attempt}`
    if (e.kind === 'start') open.add(key)
    else open.delete(key)
  }
  return open.size
}

/** Waits (at most `timeoutMs`) for a worker among `workers` with attempts in flight. */
async function busyWorker(cluster: Cluster, workers: Child[], timeoutMs = 10_000): Promise<Child | undefined> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const busy = workers.filter((w) => inFlight(cluster.journalDir, w) > 0)
    const pick = busy[Math.floor(Math.random() * busy.length)]
    if (pick) return pick
    await sleep(20)
  }
  return undefined
}

/**
 * Three workers under continuous load; `kills` times a worker with tasks in flight is killed with
 * SIGKILL and a replacement started, the next kill once it is ready. Each task must end succeeded
 * or failed, every lost attempt reported once.
 */
export function workerKill(sizes: { kills: number; clients: number }): Promise<Run> {
  return scenario('worker kill', { workers: 3 }, async (cluster) => {
    const traffic = load({ url: cluster.url, clients: sizes.clients, paceMs: 50, prefix: 'wk' })
    let kills = 0
    for (let k = 0; k < sizes.kills; k++) {
      await sleep(between(300, 800))
      const victim = await busyWorker(
        cluster,
        cluster.workers.filter((w) => !w.killed),
      )
      if (!victim) break
      await victim.signal('SIGKILL')
      kills++
      await cluster.startWorker()
    }
    await sleep(500)
    return { answers: await traffic.stop(), workerKills: kills }
  })
}

/**
 * One slow task whose worker is killed mid-task, then the worker that runs it next, too: BullMQ
 * fails a job stalled more often than `maxStalledCount` (1) allows. Both lost attempts should be
 * reported, once each.
 */
export function workerKilledTwice(): Promise<Run> {
  return scenario('worker killed twice', { workers: 3 }, async (cluster) => {
    const answer = await place(cluster.url(), 'twice', 'slow')
    let kills = 0
    for (const attempt of [1, 2]) {
      const victim = await runnerOf(cluster, 'twice', attempt)
      if (!victim) break
      await victim.signal('SIGKILL')
      kills++
    }
    return { answers: [answer], workerKills: kills }
  })
}

/** Waits (at most `timeoutMs`) for the worker that started attempt `attempt` of the task of `ref`. */
async function runnerOf(cluster: Cluster, ref: string, attempt: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const worker of cluster.workers) {
      if (worker.killed) continue
      const started = journalOf(cluster.journalDir, worker).some(
        (e) => e.kind === 'start' && e.ref === ref && e.attempt === attempt,
      )
      if (started) return worker
    }
    await sleep(20)
  }
  return undefined
}

/**
 * API and workers under continuous load from `clients` clients while Redis is killed (SIGKILL) and
 * restarted `restarts` times, down 0.5 to 3 s, every other outage longer than the enqueue timeout.
 * Every call must be answered 200 or a typed 503; no process may exit; the queue drains.
 */
export function redisRestart(sizes: { restarts: number; clients: number; upMs: number }): Promise<Run> {
  return scenario('redis restart', { workers: 2 }, async (cluster) => {
    const traffic = load({ url: cluster.url, clients: sizes.clients, paceMs: 100, prefix: 'rr' })
    for (let r = 0; r < sizes.restarts; r++) {
      await sleep(sizes.upMs)
      await cluster.redis.kill()
      await sleep(r % 2 === 0 ? between(2_300, 3_000) : between(500, 1_500))
      await cluster.redis.restart()
    }
    await sleep(sizes.upMs)
    return { answers: await traffic.stop(), redisRestarts: sizes.restarts }
  })
}

/**
 * Clients call the API; `kills` times, right as a call is answered queued, the API process is
 * killed with SIGKILL (and another started). Every task answered queued must be in Redis and finish.
 */
export function apiKill(sizes: { kills: number; clients: number; durability: Durability }): Promise<Run> {
  const name = sizes.durability === 'before-response' ? 'api kill' : 'api kill (after-response)'
  return scenario(name, { workers: 2, durability: sizes.durability }, async (cluster) => {
    const traffic = load({ url: cluster.url, clients: sizes.clients, paceMs: 20, prefix: 'ak' })
    let kills = 0
    for (let a = 0; a < sizes.kills; a++) {
      // let the new process answer a few calls first
      const seen = traffic.answers.filter((x) => x.kind === 'queued').length
      const deadline = Date.now() + ANSWER_WAIT_MS
      while (traffic.answers.filter((x) => x.kind === 'queued').length < seen + 10) {
        if (Date.now() > deadline) throw new Error(`api kill: no 10 calls answered queued within ${ANSWER_WAIT_MS} ms`)
        await sleep(5)
      }
      const api = cluster.api()
      // killed on the turn a response arrives: whatever the process still had to do after it is lost
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`api kill: no call answered queued within ${ANSWER_WAIT_MS} ms`)),
          ANSWER_WAIT_MS,
        )
        traffic.onAnswer((answer) => {
          if (answer.kind !== 'queued') return false
          clearTimeout(timer)
          void api.signal('SIGKILL')
          resolve()
          return true
        })
      })
      kills++
      await cluster.restartApi()
    }
    await sleep(500)
    return { answers: await traffic.stop(), apiKills: kills }
  })
}

/**
 * Poison tasks (one that always throws, one that always hangs past its timeout) among `tasks`
 * normal ones: each poison task is retried per its policy, then failed, one report per attempt,
 * while the normal ones keep completing.
 */
export function poison(sizes: { tasks: number; poison: number }): Promise<Run> {
  return scenario('poison', { workers: 2 }, async (cluster) => {
    const refs: { ref: string; mode: Mode }[] = []
    for (let i = 0; i < sizes.tasks; i++) refs.push({ ref: `ok-${i}`, mode: 'ok' })
    for (let i = 0; i < sizes.poison; i++) {
      // spread among the normal ones, so they queue behind and around them
      const at = Math.floor((i / sizes.poison) * refs.length)
      refs.splice(at, 0, { ref: `throw-${i}`, mode: 'poison-throw' }, { ref: `hang-${i}`, mode: 'poison-hang' })
    }
    return { answers: await placeAll(cluster.url(), refs, 4) }
  })
}

/**
 * Duplicate delivery: `freezes` times a worker with attempts in flight is stopped (SIGSTOP) past
 * its locks, so another worker runs those jobs again, then resumed (SIGCONT). Hanging tasks make
 * the frozen attempts fail as they resume; no attempt may be reported twice.
 */
export function duplicateDelivery(sizes: { freezes: number; clients: number; frozenMs: number }): Promise<Run> {
  return scenario('duplicate delivery', { workers: 2 }, async (cluster) => {
    const modeOf = (i: number): Mode => (i % 3 === 0 ? 'poison-hang' : 'ok')
    const traffic = load({ url: cluster.url, clients: sizes.clients, paceMs: 200, prefix: 'dd', modeOf })
    let freezes = 0
    for (let f = 0; f < sizes.freezes; f++) {
      await sleep(between(300, 700))
      const victim = await busyWorker(cluster, cluster.workers)
      if (!victim) break
      await victim.signal('SIGSTOP')
      await sleep(sizes.frozenMs)
      await victim.signal('SIGCONT')
      freezes++
    }
    await sleep(1_000)
    return { answers: await traffic.stop(), freezes }
  })
}
