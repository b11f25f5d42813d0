import { type AnyEnvelope, parseEnvelope } from '@faultline/contract'
import { FaultlineClientError, isFaultlineClientError } from './error'

/** A task's record as the status procedure returns it. */
export interface TaskRecordLike {
  id: string
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted'
  error?: unknown
}

/** The part of a client that `waitForTask` calls: the mounted task router. */
export interface TaskStatusClient<TRecord extends TaskRecordLike> {
  status: { query(input: { id: string }, opts?: { signal?: AbortSignal }): PromiseLike<TRecord> }
}

type ErrorOf<TRecord> = TRecord extends { error?: infer E }
  ? E extends AnyEnvelope
    ? FaultlineClientError<E>
    : never
  : never

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The typed error of a failed or interrupted task's record. */
export function taskError<TRecord extends TaskRecordLike>(record: TRecord): ErrorOf<TRecord> {
  const parsed = parseEnvelope(record.error)
  const envelope: AnyEnvelope = parsed.ok
    ? parsed.envelope
    : {
        v: 1,
        code: 'TRANSPORT_ERROR',
        status: 0,
        message: `Task ${record.id} ${record.status} without a valid envelope`,
        retry: { retryable: false },
      }
  return new FaultlineClientError(envelope) as ErrorOf<TRecord>
}

/**
 * Waits for a background task to finish: resolves with its record when it
 * succeeded, rejects with the same typed `FaultlineClientError` a request
 * error would be when it failed or was interrupted.
 *
 * A shared runner (BullMQ) adds a task's job once the response that queued it
 * has gone, so another server process can answer `NOT_FOUND` for a moment:
 * `NOT_FOUND` is polled again until `notFoundGraceMs` (default 2,000) has
 * passed since the first call, and only then rejects.
 *
 * @example
 * const { taskId } = await client.order.create.mutate(order)
 * await waitForTask(client.tasks, taskId).catch((err) => {
 *   if (isFaultlineError(err, 'DELIVERY_FAILED')) showRetry(err.details)
 * })
 */
export async function waitForTask<TRecord extends TaskRecordLike>(
  tasks: TaskStatusClient<TRecord>,
  id: string,
  opts: { intervalMs?: number; timeoutMs?: number; notFoundGraceMs?: number; signal?: AbortSignal } = {},
): Promise<TRecord & { status: 'succeeded' }> {
  const intervalMs = opts.intervalMs ?? 500
  const deadline = opts.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + opts.timeoutMs
  const notFoundUntil = Math.min(deadline, Date.now() + (opts.notFoundGraceMs ?? 2_000))
  for (;;) {
    let record: TRecord
    try {
      record = await tasks.status.query({ id }, opts.signal ? { signal: opts.signal } : undefined)
    } catch (err) {
      const notYet = isFaultlineClientError(err) && err.code === 'NOT_FOUND' && Date.now() + intervalMs <= notFoundUntil
      if (!notYet) throw err
      await delay(intervalMs, opts.signal)
      continue
    }
    if (record.status === 'succeeded') return record as TRecord & { status: 'succeeded' }
    if (record.status === 'failed' || record.status === 'interrupted') throw taskError(record)
    if (Date.now() + intervalMs > deadline) {
      throw new FaultlineClientError({
        v: 1,
        code: 'TIMEOUT',
        status: 408,
        message: `Task ${id} was still ${record.status} after ${opts.timeoutMs} ms`,
        retry: { retryable: true },
      })
    }
    await delay(intervalMs, opts.signal)
  }
}
