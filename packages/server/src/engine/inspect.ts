import type { DebugCause } from '@faultline/contract'

/** Reads a property of anything without letting a throwing getter or Proxy trap escape. */
export function safeGet(value: unknown, key: PropertyKey): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined
  try {
    return (value as Record<PropertyKey, unknown>)[key]
  } catch {
    return undefined
  }
}

/** `String(value)` that never throws (symbols, throwing `toString`, revoked Proxies). */
export function safeString(value: unknown): string {
  try {
    return typeof value === 'symbol' ? value.toString() : String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

const MAX_TEXT = 10_000

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length - MAX_TEXT} more characters)` : text
}

/**
 * Name, message and (when asked) stack of any thrown value, for logs and
 * `debug` exposure. Reading `stack` formats it, which is costly: only the
 * places that show a stack ask for it.
 */
export function describe(value: unknown, withStack = false): DebugCause {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return { name: typeof value, message: clip(safeString(value)) }
  }
  const name = safeGet(value, 'name')
  const message = safeGet(value, 'message')
  const stack = withStack ? safeGet(value, 'stack') : undefined
  const out: DebugCause = {
    name: typeof name === 'string' ? name : 'Error',
    message: clip(typeof message === 'string' ? message : safeString(message ?? '')),
  }
  if (typeof stack === 'string') out.stack = clip(stack)
  return out
}

const MAX_CAUSES = 16

/** The `cause` chain below an error, cut at cycles and after a fixed depth. */
export function causeChain(value: unknown, withStack = false): DebugCause[] {
  let current = safeGet(value, 'cause')
  // most errors have no cause: nothing to keep track of
  if (current === undefined) return []
  const seen = new Set<unknown>([value])
  const out: DebugCause[] = []
  while (current !== undefined && out.length < MAX_CAUSES && !seen.has(current)) {
    seen.add(current)
    out.push(describe(current, withStack))
    current = safeGet(current, 'cause')
  }
  return out
}
