import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { AnyTaskDefinition, RetryPolicy } from './define'

const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 3, baseMs: 200, maxMs: 30_000 }

/** The task definitions of an instance, by name, each with its retry policy resolved once. */
export interface TaskRegistry {
  readonly definitions: ReadonlyMap<string, AnyTaskDefinition>
  retryPolicy(task: string): Required<RetryPolicy>
  /** The definition of `name`; throws a TypeError naming the known tasks when there is none. */
  require(name: string, where: string): AnyTaskDefinition
}

export function createRegistry(tasks: readonly AnyTaskDefinition[], retry: RetryPolicy | undefined): TaskRegistry {
  const definitions = new Map<string, AnyTaskDefinition>()
  for (const def of tasks) {
    if (definitions.has(def.name)) throw new TypeError(`background: two tasks are named ${def.name}`)
    definitions.set(def.name, def)
  }
  const defaults = Object.freeze({ ...DEFAULT_RETRY, ...retry })
  // read at every failure: resolved once per task
  const policies = new Map<string, Readonly<Required<RetryPolicy>>>()
  for (const [name, def] of definitions) policies.set(name, Object.freeze({ ...defaults, ...def.retry }))
  return {
    definitions,
    retryPolicy: (task) => policies.get(task) ?? defaults,
    require(name, where) {
      const def = definitions.get(name)
      if (def) return def
      const known = [...definitions.keys()].join(', ')
      throw new TypeError(`${where}: no task is named ${JSON.stringify(name)}; known: ${known}`)
    },
  }
}

/** The payload as the task's schema outputs it; throws a TypeError saying what is wrong with it. */
export function checkPayload(def: AnyTaskDefinition, payload: unknown, where: string): unknown {
  const schema = def.payload as StandardSchemaV1 | undefined
  if (!schema) return payload
  const result = schema['~standard'].validate(payload)
  if (result instanceof Promise) {
    result.catch(() => {})
    throw new TypeError(
      `${where}: the payload schema of ${def.name} is async; task payload schemas must be synchronous`,
    )
  }
  if (result.issues) {
    const first = result.issues[0]
    const at = first?.path?.length
      ? ` at ${first.path.map((p) => (typeof p === 'object' ? String(p.key) : String(p))).join('.')}`
      : ''
    throw new TypeError(`${where}: invalid payload for ${def.name}${at}: ${first?.message ?? 'rejected by its schema'}`)
  }
  return result.value
}
