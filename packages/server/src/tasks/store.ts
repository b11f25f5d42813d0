import type { AnyEnvelope } from '@faultline/contract'

/** Where a task is in its life. */
export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted'

/** What is known about one task, as a client may fetch it. */
export interface TaskRecord<TEnvelope = AnyEnvelope> {
  id: string
  task: string
  status: TaskStatus
  /** Attempts started so far. */
  attempts: number
  requestId: string | undefined
  createdAt: number
  updatedAt: number
  /** The envelope of the last failure: the terminal one once `failed` or `interrupted`. */
  error?: TEnvelope
}

/** Keeps task records. In memory by default; a shared store lets any process answer for any task. */
export interface TaskStore {
  get(id: string): TaskRecord | undefined | Promise<TaskRecord | undefined>
  set(record: TaskRecord): void | Promise<void>
  delete(id: string): void | Promise<void>
}

/** The in-memory store: synchronous, and it can say how many records it holds. */
export interface MemoryTaskStore extends TaskStore {
  get(id: string): TaskRecord | undefined
  size(): number
}

/** A task's first record, `queued`, with `patch` over it. */
export function queuedRecord(
  job: { id: string; task: string; requestId: string | undefined; createdAt: number },
  patch: Partial<TaskRecord> = {},
): TaskRecord {
  return {
    id: job.id,
    task: job.task,
    status: 'queued',
    attempts: 0,
    requestId: job.requestId,
    createdAt: job.createdAt,
    updatedAt: Date.now(),
    ...patch,
  }
}

/** Whether a task will change no more. */
export function isTerminal(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'interrupted'
}

/**
 * An in-memory store bounded in size and age: finished records older than
 * `maxAgeMs`, or beyond `maxEntries` (oldest first), are dropped. Records of
 * tasks still queued or running are never dropped.
 */
export function memoryTaskStore(opts: { maxEntries?: number; maxAgeMs?: number } = {}): MemoryTaskStore {
  const maxEntries = opts.maxEntries ?? 10_000
  const maxAgeMs = opts.maxAgeMs ?? 60 * 60 * 1000
  if (!(maxEntries >= 1) || !(maxAgeMs > 0))
    throw new TypeError('memoryTaskStore: maxEntries and maxAgeMs must be positive')
  const records = new Map<string, TaskRecord>()

  const prune = (now: number) => {
    for (const [id, record] of records) {
      const over = records.size > maxEntries
      const old = now - record.updatedAt > maxAgeMs
      if (!over && !old) break
      if (isTerminal(record.status)) records.delete(id)
      else if (!over) break
    }
  }

  return {
    get: (id) => records.get(id),
    set(record) {
      // re-insert so Map order is least recently updated first
      records.delete(record.id)
      records.set(record.id, { ...record })
      prune(record.updatedAt)
    },
    delete: (id) => void records.delete(id),
    size: () => records.size,
  }
}
