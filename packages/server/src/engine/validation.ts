import { type Issue, toJsonPointer } from '@faultline/contract'
import { safeGet, safeString } from './inspect'

function segmentKey(segment: unknown): string | number {
  const key = typeof segment === 'object' && segment !== null ? safeGet(segment, 'key') : segment
  if (typeof key === 'number' || typeof key === 'string') return key
  if (typeof key === 'symbol') return key.description ?? key.toString()
  return safeString(key)
}

/** Normalizes Standard Schema (and zod) issues to the envelope's issue shape. */
export function toIssues(raw: readonly unknown[]): Issue[] {
  return raw.map((issue) => {
    const rawPath = safeGet(issue, 'path')
    const path = Array.isArray(rawPath) ? rawPath.map(segmentKey) : []
    const code = safeGet(issue, 'code')
    const message = safeGet(issue, 'message')
    return {
      path,
      pointer: toJsonPointer(path),
      code: typeof code === 'string' ? code : 'invalid',
      message: typeof message === 'string' ? message : 'Invalid value',
    }
  })
}

/** The issues of a validator's error (ZodError, StandardSchemaV1Error, …), if it has any. */
export function issuesOf(value: unknown): Issue[] | undefined {
  const issues = safeGet(value, 'issues')
  try {
    return Array.isArray(issues) ? toIssues(issues) : undefined
  } catch {
    // a Proxy (revoked, or trapping every read) among them: the issues cannot be read
    return undefined
  }
}

const SHOWN = 3

/** A readable one-line summary of issues, never a JSON dump. */
export function summarizeIssues(issues: readonly Issue[]): string {
  if (issues.length === 0) return 'Validation failed'
  const parts = issues.slice(0, SHOWN).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
  const more = issues.length > SHOWN ? ` (+${issues.length - SHOWN} more)` : ''
  return `Validation failed: ${parts.join('; ')}${more}`
}
