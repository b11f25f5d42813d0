import { isValidCode } from './codes'
import { type AnyEnvelope, type DebugInfo, ENVELOPE_VERSION } from './envelope'
import type { Issue } from './issues'

/** What `parseEnvelope` returns: a clean envelope, or why the value is not one. */
export type ParseResult = { ok: true; envelope: AnyEnvelope } | { ok: false; reason: string }

const MAX_DEPTH = 64
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

type Obj = Record<string, unknown>

function isPlainRecord(value: unknown): value is Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function own(obj: Obj, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined
}

/**
 * A fresh object with the own enumerable fields of `value` (those keyed by a string passed through
 * `map`), minus keys that could reach a prototype when a reader copies or merges it.
 */
export function withoutPrototypeKeys(value: object, map?: (field: unknown) => unknown): Record<string, unknown> {
  // a spread is V8's object clone, far cheaper than adding the fields one by one
  const out: Obj = { ...value }
  for (const key of Object.keys(out)) {
    if (FORBIDDEN_KEYS.has(key)) delete out[key]
    else if (map) out[key] = map(out[key])
  }
  return out
}

// thrown by `sanitize` past MAX_DEPTH; `parseEnvelope` turns it into a reason
const TOO_DEEP = Symbol()

/**
 * Copies JSON-like data without keys that could pollute prototypes; leaves
 * transformer-made values (Date, Map, Set, BigInt) as they are. Throws
 * `TOO_DEEP` past a nesting depth no envelope needs, instead of overflowing the stack.
 */
function sanitize(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw TOO_DEEP
  const inner = (item: unknown) => sanitize(item, depth + 1)
  if (Array.isArray(value)) return Array.from(value, inner)
  return isPlainRecord(value) ? withoutPrototypeKeys(value, inner) : value
}

function isIssue(value: unknown): value is Issue {
  if (!isPlainRecord(value)) return false
  const path = own(value, 'path')
  return (
    Array.isArray(path) &&
    path.every((p) => typeof p === 'string' || typeof p === 'number') &&
    typeof own(value, 'pointer') === 'string' &&
    typeof own(value, 'code') === 'string' &&
    typeof own(value, 'message') === 'string'
  )
}

const OPTIONAL_STRINGS = ['requestId', 'traceId', 'help'] as const

/**
 * Checks that a value is a version-1 envelope and returns a clean copy: only
 * known members, no prototype-polluting keys, extension members ignored
 * (as RFC 9457 asks of consumers). Needs no schema library.
 */
export function parseEnvelope(value: unknown): ParseResult {
  const bad = (what: string): ParseResult => ({ ok: false, reason: `envelope ${what}` })
  if (!isPlainRecord(value)) return bad('is not an object')
  const v = own(value, 'v')
  if (v !== ENVELOPE_VERSION) return bad(`version ${String(v)} is not supported`)
  const code = own(value, 'code')
  if (typeof code !== 'string' || !isValidCode(code)) return bad('code is not an UPPER_SNAKE string')
  const status = own(value, 'status')
  if (!Number.isInteger(status) || (status as number) < 100 || (status as number) > 599)
    return bad('status is not an HTTP status')
  const message = own(value, 'message')
  if (typeof message !== 'string') return bad('message is not a string')
  const retry = own(value, 'retry')
  const retryable = isPlainRecord(retry) ? own(retry, 'retryable') : undefined
  const afterMs = isPlainRecord(retry) ? own(retry, 'afterMs') : undefined
  if (
    typeof retryable !== 'boolean' ||
    (afterMs !== undefined && !((afterMs as number) >= 0 && Number.isFinite(afterMs)))
  ) {
    return bad('retry is not { retryable: boolean, afterMs?: number }')
  }

  const envelope: AnyEnvelope = {
    v: ENVELOPE_VERSION,
    code,
    status: status as number,
    message,
    retry: afterMs === undefined ? { retryable } : { retryable, afterMs: afterMs as number },
  }
  const issues = own(value, 'issues')
  if (issues !== undefined) {
    if (!Array.isArray(issues) || !issues.every(isIssue))
      return bad('issues is not a list of { path, pointer, code, message }')
    envelope.issues = issues.map((i) => ({ path: [...i.path], pointer: i.pointer, code: i.code, message: i.message }))
  }
  for (const key of OPTIONAL_STRINGS) {
    const s = own(value, key)
    if (s === undefined) continue
    if (typeof s !== 'string') return bad(`${key} is not a string`)
    envelope[key] = s
  }
  const declared = own(value, 'declared')
  if (declared !== undefined) {
    if (typeof declared !== 'boolean') return bad('declared is not a boolean')
    envelope.declared = declared
  }
  // data and debug (debug exposure only) are kept as sent, minus prototype-polluting keys
  for (const key of ['data', 'debug'] as const) {
    if (!Object.hasOwn(value, key)) continue
    let copy: unknown
    try {
      copy = sanitize(value[key], 0)
    } catch (error) {
      if (error !== TOO_DEEP) throw error
      return bad(`${key} is nested too deeply`)
    }
    if (key === 'data') envelope.data = copy
    else if (isPlainRecord(copy)) envelope.debug = copy as DebugInfo
  }
  return { ok: true, envelope }
}
