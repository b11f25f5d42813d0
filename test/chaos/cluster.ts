// One scenario's world: a durable redis-server, an API process, workers, a fresh queue and a
// journal directory; each process started, killed and replaced on demand, all stopped by close().
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { type Child, startChild } from './child'
import type { Durability } from './faultline'
import { type DurableRedis, startDurableRedis } from './redis'

let scenarios = 0

export interface Cluster {
  redis: DurableRedis
  queueName: string
  journalDir: string
  /** A BullMQ queue of its own on the scenario's queue, to read the jobs' states. */
  queue: Queue
  /** The API process now serving, and its URL. */
  api(): Child
  url(): string
  workers: Child[]
  /** Every process started so far, killed ones included. */
  started: Child[]
  startWorker(): Promise<Child>
  /** Kills the API process (SIGKILL) and starts another; calls go to the new one once it listens. */
  restartApi(): Promise<void>
  close(): Promise<void>
}

export async function startCluster(opts: { workers: number; durability?: Durability }): Promise<Cluster> {
  const redis = await startDurableRedis()
  const queueName = `chaos-${process.pid}-${++scenarios}`
  const journalDir = mkdtempSync(join(tmpdir(), 'faultline-chaos-journal-'))
  const env = {
    REDIS_URL: redis.url,
    QUEUE_NAME: queueName,
    JOURNAL_DIR: journalDir,
    DURABILITY: opts.durability ?? 'before-response',
  }
  const started: Child[] = []
  const workers: Child[] = []
  const spawnChild = async (script: string) => {
    const child = await startChild(script, env)
    started.push(child)
    return child
  }
  const startWorker = async () => {
    const worker = await spawnChild('./worker-process.ts')
    workers.push(worker)
    return worker
  }
  const [first] = await Promise.all([
    spawnChild('./api-process.ts'),
    ...Array.from({ length: opts.workers }, startWorker),
  ])
  let api = first
  let url = `http://127.0.0.1:${api.ready}`
  const queue = new Queue(queueName, { connection: redis.connection })
  queue.on('error', () => {})

  return {
    redis,
    queueName,
    journalDir,
    queue,
    api: () => api,
    url: () => url,
    workers,
    started,
    startWorker,
    async restartApi() {
      await api.signal('SIGKILL')
      api = await spawnChild('./api-process.ts')
      url = `http://127.0.0.1:${api.ready}`
    },
    async close() {
      await Promise.all(started.map((child) => child.signal('SIGKILL')))
      await queue.close().catch(() => {})
      await redis.stop()
      // CHAOS_KEEP=1 keeps the journals, to read what happened to a task
      if (process.env.CHAOS_KEEP) console.error(`chaos: journals of ${queueName} kept in ${journalDir}`)
      else rmSync(journalDir, { recursive: true, force: true })
    },
  }
}
