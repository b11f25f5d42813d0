// past this many objects and arrays, data gets the full check instead
const MAX_PLAIN_OBJECTS = 256
// keys superjson throws on (a prototype pollution guard)
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Whether a value is plain JSON that every transformer carries as it is:
 * strings, finite numbers other than -0, booleans, null, and arrays and plain
 * objects, each met once (no cycle, no object in two places), with no key
 * superjson refuses. Most error data is: it then skips the trial
 * serialization, and an envelope of it can skip superjson's walk (`toShape`).
 * Anything else (a Date, a Map, `undefined`, a getter that throws, a cycle)
 * answers false and gets the full treatment.
 */
export function isPlainJson(value: unknown, seen: object[] = []): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  // superjson marks NaN, the infinities and -0, which JSON would turn into null and 0
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object' || seen.length >= MAX_PLAIN_OBJECTS || seen.includes(value)) return false
  seen.push(value)
  try {
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) return false
      for (const item of value) if (!isPlainJson(item, seen)) return false
      return true
    }
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return false
    for (const key in value) {
      if (!Object.hasOwn(value, key) || UNSAFE_KEYS.has(key)) return false
      if (!isPlainJson((value as Record<string, unknown>)[key], seen)) return false
    }
    return Object.getOwnPropertySymbols(value).length === 0
  } catch {
    return false
  }
}
