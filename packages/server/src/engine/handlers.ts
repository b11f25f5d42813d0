import type { FaultlineError } from '@faultline/contract'
import type { TRPCProcedureType as ProcedureType } from '@trpc/server'
import { safeGet } from './inspect'

/** What a handler learns about the failure besides the thrown value. */
export interface HandlerInfo {
  /** The procedure's path; a background task's name. */
  path: string | undefined
  /** The procedure's type; `task` for a background task's failure. */
  type: ProcedureType | 'unknown' | 'task'
  ctx: unknown
}

/** Returns a catalog error for the thrown value, or `undefined` to leave it to the next handler. */
export type HandlerFn<T> = (error: T, info: HandlerInfo) => FaultlineError | undefined | null

// biome-ignore lint/suspicious/noExplicitAny: matches any constructor, abstract or not
type AnyClass = abstract new (...args: any[]) => unknown

/** One handler: by class (most specific on the prototype chain wins) or by predicate. */
export type Handler =
  | { kind: 'class'; cls: AnyClass; fn: HandlerFn<unknown> }
  | { kind: 'predicate'; test: (value: unknown) => boolean; fn: HandlerFn<unknown> }

function isClass(fn: AnyClass | ((value: unknown) => boolean)): fn is AnyClass {
  if (fn === Error) return true
  const proto = (fn as { prototype?: unknown }).prototype
  if (proto instanceof Error) return true
  return /^class[\s{]/.test(Function.prototype.toString.call(fn))
}

/**
 * Maps a thrown value to a catalog error, like FastAPI's `exception_handler`.
 * Give a class (an Error subclass or any `class`) to match instances, the most
 * specific class on the prototype chain winning; any other function is a
 * predicate, tried in the order given before class handlers.
 *
 * @example
 * handle(PaymentGatewayError, (e) => errors.PAYMENT_DECLINED({ declineCode: e.reason }))
 * handle((e) => isPrismaNotFound(e), () => errors.NOT_FOUND())
 */
// Predicate overloads come first so an inline arrow gets its parameter typed.
export function handle<T>(predicate: (value: unknown) => value is T, fn: HandlerFn<T>): Handler
export function handle(predicate: (value: unknown) => boolean, fn: HandlerFn<unknown>): Handler
export function handle<TClass extends AnyClass>(cls: TClass, fn: HandlerFn<InstanceType<TClass>>): Handler
export function handle(target: AnyClass | ((value: unknown) => boolean), fn: HandlerFn<never>): Handler {
  if (typeof target !== 'function' || typeof fn !== 'function') {
    throw new TypeError('handle(target, fn): target must be a class or a predicate, and fn a function')
  }
  const run = fn as HandlerFn<unknown>
  return isClass(target)
    ? { kind: 'class', cls: target, fn: run }
    : { kind: 'predicate', test: target as (value: unknown) => boolean, fn: run }
}

/** Handlers indexed for lookup: predicates in order, classes by prototype. */
export interface HandlerTable {
  predicates: Extract<Handler, { kind: 'predicate' }>[]
  byPrototype: Map<unknown, HandlerFn<unknown>>
}

export function indexHandlers(handlers: readonly Handler[]): HandlerTable {
  const table: HandlerTable = { predicates: [], byPrototype: new Map() }
  for (const h of handlers) {
    if (h.kind === 'predicate') table.predicates.push(h)
    else if (!table.byPrototype.has(h.cls.prototype)) table.byPrototype.set(h.cls.prototype, h.fn)
  }
  return table
}

/** What running the handlers on a thrown value gave. */
export type HandlerOutcome =
  | { kind: 'none' }
  | { kind: 'mapped'; error: unknown }
  | { kind: 'failed'; reason: string; cause: unknown }

function prototypesOf(value: unknown): unknown[] {
  const out: unknown[] = []
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return out
  try {
    for (let p = Object.getPrototypeOf(value); p && !out.includes(p); p = Object.getPrototypeOf(p)) out.push(p)
  } catch {
    // a Proxy whose getPrototypeOf trap throws matches no class
  }
  return out
}

/**
 * Tries the handlers on a thrown value: predicates in order, then class
 * handlers from the most specific class. The first non-empty answer wins; a
 * handler or predicate that throws ends the search as a failure.
 */
export function runHandlers(table: HandlerTable, value: unknown, info: HandlerInfo): HandlerOutcome {
  const attempt = (fn: HandlerFn<unknown>, label: string): HandlerOutcome => {
    try {
      const result = fn(value, info)
      return result === undefined || result === null ? { kind: 'none' } : { kind: 'mapped', error: result }
    } catch (cause) {
      return { kind: 'failed', reason: `${label} threw`, cause }
    }
  }
  for (const h of table.predicates) {
    let matches: boolean
    try {
      matches = h.test(value)
    } catch (cause) {
      return { kind: 'failed', reason: 'a handler predicate threw', cause }
    }
    if (!matches) continue
    const outcome = attempt(h.fn, 'a predicate handler')
    if (outcome.kind !== 'none') return outcome
  }
  if (table.byPrototype.size === 0) return { kind: 'none' }
  for (const proto of prototypesOf(value)) {
    const fn = table.byPrototype.get(proto)
    if (!fn) continue
    const name = safeGet(safeGet(proto, 'constructor'), 'name')
    const outcome = attempt(fn, `the handler for ${typeof name === 'string' ? name : 'a class'}`)
    if (outcome.kind !== 'none') return outcome
  }
  return { kind: 'none' }
}
