// BullMQ runner against raw BullMQ: tasks per second through Faultline's @faultline/bullmq runner
// and through a plain BullMQ Queue and Worker doing the same work, on one redis-server, side by
// side, with Redis commands per task. Run: pnpm bench:bullmq. It starts its own redis-server
// (`bash scripts/ensure-redis.sh` installs Debian's when it is missing) and stops it at the end.
//
// TASKS tasks per phase (default 2000); ROUNDS measured rounds (5) after WARMUP unmeasured ones (1);
// CONCURRENCY jobs each worker runs at once (10, Faultline's default); OUTCOMES=succeeds,fails
// narrows; TOP commands listed per table (10); SIDE_ARGS passes node flags to both sides'
// processes (--cpu-prof).
//
// Each side runs in a process of its own (bullmq/child.ts, bundled). Each round opens a fresh queue
// on each side, the order alternating between rounds, and times two phases: enqueue (TASKS calls of
// a tRPC mutation at once, until every job is in Redis, the queue paused) and run (the queue
// resumed, until every task has finished). Redis's command counters are reset before each phase and
// read after it; the queue's keys are flushed after each round.
import { type ChildProcess, fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { Redis } from 'ioredis'
import { startRedis } from '../../test/src/fixtures/redis'
import type { Closed, Request, Sample, Timed } from './bullmq/child'
import { commandCounts, redisCpuMicros } from './bullmq/redis'
import { commandsTables, type PhaseResult, type Round, ratesTable } from './bullmq/report'
import { ATTEMPTS, type Outcome, type Side } from './bullmq/sides'
import { bundleForNode } from './node-bundle'

const OUTCOME_NAMES: readonly Outcome[] = ['succeeds', 'fails']
const knob = (name: string, fallback: number, min: number) => {
  const raw = process.env[name]
  const value = Number(raw ?? fallback)
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`bench:bullmq: ${name} must be a whole number of at least ${min}; got ${raw}`)
  }
  return value
}
const TASKS = knob('TASKS', 2000, 1)
const ROUNDS = knob('ROUNDS', 5, 1)
const WARMUP = knob('WARMUP', 1, 0)
const CONCURRENCY = knob('CONCURRENCY', 10, 1)
const TOP = knob('TOP', 10, 1)
const OUTCOMES = (process.env.OUTCOMES ?? OUTCOME_NAMES.join(',')).split(',') as Outcome[]
for (const outcome of OUTCOMES) {
  if (!OUTCOME_NAMES.includes(outcome)) {
    throw new TypeError(`bench:bullmq: OUTCOMES lists ${OUTCOME_NAMES.join(' and ')}; got ${process.env.OUTCOMES}`)
  }
}

// each side's process runs as one bundled JavaScript file on plain node, as http.ts's servers do
const childFile = new URL('../.generated/bullmq-side.mjs', import.meta.url).pathname

type Reply = { ok: unknown } | { error: string }

function listen<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      off()
      if ('error' in reply) reject(new Error(`bench:bullmq: ${what} failed in the side's process: ${reply.error}`))
      else resolve(reply.ok as T)
    }
    const onExit = (code: number | null) => {
      off()
      reject(new Error(`bench:bullmq: the side's process exited (${code}) during ${what}`))
    }
    const off = () => {
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

function ask<T>(child: ChildProcess, request: Request): Promise<T> {
  const reply = listen<T>(child, request.type)
  child.send(request)
  return reply
}

// extra node flags for the sides' processes, e.g. SIDE_ARGS=--cpu-prof
const nodeArgs = process.env.SIDE_ARGS?.split(' ').filter(Boolean) ?? []

async function startSide(side: Side): Promise<ChildProcess> {
  // no TypeScript loader in the child: this process's execArgv is not passed on
  const child = fork(childFile, [side], {
    execArgv: nodeArgs,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await listen(child, 'start')
  return child
}

await bundleForNode(new URL('./bullmq/child.ts', import.meta.url), childFile, { external: ['bullmq', 'ioredis'] })
const server = await startRedis()
const redis = new Redis({ host: '127.0.0.1', port: server.port })
const children: Partial<Record<Side, ChildProcess>> = {}

/** Times one phase on one side, with the commands Redis ran and the CPU it used meanwhile. */
async function measured(child: ChildProcess, request: Request): Promise<PhaseResult> {
  const cpuBefore = await redisCpuMicros(redis)
  await redis.config('RESETSTAT')
  const timed = await ask<Timed>(child, request)
  const commands = await commandCounts(redis)
  return { ...timed, commands, redisCpuMicros: (await redisCpuMicros(redis)) - cpuBefore }
}

const seen: Partial<Record<Side, { dataBytes: number; lastLogLine: string }>> = {}

/** One round of one side: a fresh queue, enqueue, run, then the queue's keys flushed. */
async function round(side: Side, outcome: Outcome, label: string): Promise<Round> {
  const child = children[side] as ChildProcess
  const queueName = `bench-${side}-${outcome}-${label}`
  await ask(child, { type: 'open', outcome, queueName, port: server.port, concurrency: CONCURRENCY })
  const enqueue = await measured(child, { type: 'enqueue', tasks: TASKS })
  const { dataBytes } = await ask<Sample>(child, { type: 'sample' })
  const run = await measured(child, { type: 'run', tasks: TASKS })
  const { lastLogLine } = await ask<Closed>(child, { type: 'close' })
  await redis.flushall()
  // the work each side claims to have done: every attempt ran, every failed attempt logged once
  const attempts = outcome === 'fails' ? TASKS * ATTEMPTS : TASKS
  const lines = outcome === 'fails' ? attempts : 0
  if (enqueue.runs !== 0 || run.runs !== attempts || enqueue.lines + run.lines !== lines) {
    throw new Error(
      `bench:bullmq: ${side}, task that ${outcome}: expected ${attempts} attempts and ${lines} log lines; ` +
        `got ${enqueue.runs + run.runs} attempts and ${enqueue.lines + run.lines} lines`,
    )
  }
  if (outcome === 'fails' || !seen[side]) seen[side] = { dataBytes, lastLogLine }
  return { enqueue, run }
}

const rate = (p: PhaseResult) => Math.round(TASKS / (p.ms / 1000)).toLocaleString('en-US')

try {
  children.raw = await startSide('raw')
  children.faultline = await startSide('faultline')
  const version = (await redis.info('server')).match(/^redis_version:(\S+)/m)?.[1]
  const bullmq = createRequire(import.meta.url)('bullmq/package.json').version
  console.log(
    `${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}, redis-server ${version}, bullmq ${bullmq}; ` +
      `TASKS=${TASKS} ROUNDS=${ROUNDS} WARMUP=${WARMUP} CONCURRENCY=${CONCURRENCY}, ${ATTEMPTS} attempts a task\n`,
  )
  const results = new Map<string, Record<Side, Round[]>>()
  for (const outcome of OUTCOMES) {
    for (let w = 0; w < WARMUP; w++) {
      for (const side of ['raw', 'faultline'] as const) await round(side, outcome, `warmup${w}`)
    }
    const rounds: Record<Side, Round[]> = { raw: [], faultline: [] }
    for (let r = 0; r < ROUNDS; r++) {
      // alternate which goes first, so neither always runs on a warmer machine
      const order: Side[] = r % 2 === 0 ? ['raw', 'faultline'] : ['faultline', 'raw']
      for (const side of order) rounds[side].push(await round(side, outcome, `round${r}`))
      const [raw, faultline] = [rounds.raw[r] as Round, rounds.faultline[r] as Round]
      console.error(
        `task that ${outcome}, round ${r + 1}/${ROUNDS}: tasks/s enqueue, run: ` +
          `raw ${rate(raw.enqueue)}, ${rate(raw.run)}; Faultline ${rate(faultline.enqueue)}, ${rate(faultline.run)}`,
      )
    }
    results.set(outcome, rounds)
  }
  console.log(`${ratesTable(results, TASKS)}\n`)
  console.log(commandsTables(results, TASKS, TOP))
  for (const side of ['raw', 'faultline'] as const) {
    console.log(
      `${side}: job data ${seen[side]?.dataBytes} bytes; last log line: ${seen[side]?.lastLogLine || '(none)'}`,
    )
  }
} finally {
  for (const child of Object.values(children)) {
    if (child.connected) await ask(child, { type: 'exit' }).catch(() => {})
  }
  redis.disconnect()
  await server.stop()
}
