import { isStandardSchema } from '@faultline/contract'
import type { StandardSchemaV1 } from '@standard-schema/spec'

/** What a task's `run` learns about the attempt besides its payload. */
export interface TaskContext {
  taskId: string
  task: string
  /** 1 for the first attempt. */
  attempt: number
  /** The request that queued the task. */
  requestId: string | undefined
  /** Aborts on timeout and on shutdown. */
  signal: AbortSignal
}

/** How a task retries failures whose envelope says `retryable`. */
export interface RetryPolicy {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number
  /** First delay before a retry; doubled each time, with full jitter. Default 200 ms. */
  baseMs?: number
  /** Longest delay. Default 30 s. */
  maxMs?: number
}

/** A named background task: a serializable payload and the work to do with it. */
export interface TaskDefinition<
  TName extends string = string,
  TSchema extends StandardSchemaV1 | undefined = undefined,
> {
  readonly name: TName
  /** Schema of the payload (any Standard Schema). The payload must be serializable, so the same task can run on a queue. */
  readonly payload: TSchema
  readonly run: (
    payload: TSchema extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<TSchema> : undefined,
    task: TaskContext,
  ) => unknown
  readonly retry: RetryPolicy | undefined
  /** Abort an attempt after this long (it fails with TIMEOUT, which is retryable). */
  readonly timeoutMs: number | undefined
}

// biome-ignore lint/suspicious/noExplicitAny: any task definition, whatever its payload
export type AnyTaskDefinition = TaskDefinition<string, any>

/** The payload a task's `enqueue` takes. */
export type inferTaskPayload<TDef> =
  TDef extends TaskDefinition<string, infer S>
    ? S extends StandardSchemaV1
      ? StandardSchemaV1.InferInput<S>
      : undefined
    : never

/** The task definitions by name. */
export type TaskMap<TTasks extends readonly AnyTaskDefinition[]> = { [D in TTasks[number] as D['name']]: D }

/**
 * Defines a background task. Its name is its identity across processes; its
 * payload schema checks what `enqueue` is given.
 *
 * @example
 * const sendReceipt = defineTask({
 *   name: 'send-receipt',
 *   payload: z.object({ orderId: z.string() }),
 *   run: ({ orderId }, { attempt }) => mailer.sendReceipt(orderId),
 *   retry: { attempts: 5 },
 * })
 */
export function defineTask<const TName extends string, TSchema extends StandardSchemaV1 | undefined = undefined>(def: {
  name: TName
  payload?: TSchema
  run: TaskDefinition<TName, TSchema>['run']
  retry?: RetryPolicy
  timeoutMs?: number
}): TaskDefinition<TName, TSchema> {
  if (typeof def?.name !== 'string' || !/^[a-z0-9][a-z0-9._:-]{0,99}$/i.test(def.name)) {
    throw new TypeError(`defineTask: name must be 1-100 letters, digits or . _ : -; got ${JSON.stringify(def?.name)}`)
  }
  if (typeof def.run !== 'function') throw new TypeError(`defineTask: ${def.name} needs a run function`)
  if (def.payload !== undefined && !isStandardSchema(def.payload)) {
    throw new TypeError(`defineTask: the payload of ${def.name} is not a Standard Schema`)
  }
  const attempts = def.retry?.attempts
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1)) {
    throw new TypeError(`defineTask: retry.attempts of ${def.name} must be a whole number of at least 1`)
  }
  if (def.timeoutMs !== undefined && !(def.timeoutMs > 0)) {
    throw new TypeError(`defineTask: timeoutMs of ${def.name} must be positive`)
  }
  return Object.freeze({
    name: def.name,
    payload: def.payload as TSchema,
    run: def.run,
    retry: def.retry,
    timeoutMs: def.timeoutMs,
  })
}
