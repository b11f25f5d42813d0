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
 * `maxAgeMs`, or beyond `maxEntries` (the longest finished first), are dropped.
 * Records of tasks still queued or running are never dropped. Saving costs the
 * same however many records it holds.
 */
export function memoryTaskStore(opts: { maxEntries?: number; maxAgeMs?: number } = {}): MemoryTaskStore {
  const maxEntries = opts.maxEntries ?? 10_000
  const maxAgeMs = opts.maxAgeMs ?? 60 * 60 * 1000
  if (!(maxEntries >= 1) || !(maxAgeMs > 0))
    throw new TypeError('memoryTaskStore: maxEntries and maxAgeMs must be positive')
  const records = new Map<string, TaskRecord>()
  // Finished records in the order they were saved, the oldest from `head` on: the only ones
  // pruning may drop, so it never walks past running tasks. An entry whose record was saved
  // again or deleted since is stale and skipped. (A Map re-inserted to keep that order would
  // make each prune skip the holes its own deletions leave, a cost growing with the store.)
  let finished: TaskRecord[] = []
  let head = 0

  const prune = (now: number) => {
    while (head < finished.length) {
      const oldest = finished[head] as TaskRecord
      if (records.get(oldest.id) === oldest) {
        if (records.size <= maxEntries && now - oldest.updatedAt <= maxAgeMs) break
        records.delete(oldest.id)
      }
      head++
    }
    // keep the list in proportion to the store: drop what was passed, and stale entries
    const live = finished.length - head
    if (head > 1024 && head > live) {
      finished = finished.slice(head)
      head = 0
    } else if (live > 2 * records.size + 1024) {
      finished = finished.slice(head).filter((r) => records.get(r.id) === r)
      head = 0
    }
  }

  return {
    get: (id) => records.get(id),
    set(record) {
      const copy = { ...record }
      records.set(copy.id, copy)
      if (isTerminal(copy.status)) finished.push(copy)
      prune(copy.updatedAt)
    },
    delete: (id) => void records.delete(id),
    size: () => records.size,
  }
}
