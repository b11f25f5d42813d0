import { isValidCode } from './codes'
import { type AnyEnvelope, type DebugCause, type DebugInfo, ENVELOPE_VERSION, type RetryInfo } from './envelope'
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
 * Copies JSON-like data without keys that could pollute prototypes; leaves
 * transformer-made values (Date, Map, Set, BigInt) as they are. Fails past a
 * nesting depth no envelope needs, instead of overflowing the stack.
 */
function sanitize(value: unknown, depth: number): { ok: true; value: unknown } | { ok: false } {
  if (depth > MAX_DEPTH) return { ok: false }
  if (Array.isArray(value)) {
    const out: unknown[] = []
    for (const item of value) {
      const r = sanitize(item, depth + 1)
      if (!r.ok) return r
      out.push(r.value)
    }
    return { ok: true, value: out }
  }
  if (!isPlainRecord(value)) return { ok: true, value }
  const out: Obj = {}
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) continue
    const r = sanitize(value[key], depth + 1)
    if (!r.ok) return r
    out[key] = r.value
  }
  return { ok: true, value: out }
}

function parseIssue(value: unknown): Issue | undefined {
  if (!isPlainRecord(value)) return undefined
  const path = own(value, 'path')
  const pointer = own(value, 'pointer')
  const code = own(value, 'code')
  const message = own(value, 'message')
  if (!Array.isArray(path) || !path.every((p) => typeof p === 'string' || typeof p === 'number')) return undefined
  if (typeof pointer !== 'string' || typeof code !== 'string' || typeof message !== 'string') return undefined
  return { path: [...path], pointer, code, message }
}

function parseRetry(value: unknown): RetryInfo | undefined {
  if (!isPlainRecord(value) || typeof own(value, 'retryable') !== 'boolean') return undefined
  const afterMs = own(value, 'afterMs')
  if (afterMs !== undefined && (typeof afterMs !== 'number' || !Number.isFinite(afterMs) || afterMs < 0))
    return undefined
  const retry: RetryInfo = { retryable: own(value, 'retryable') as boolean }
  if (afterMs !== undefined) retry.afterMs = afterMs
  return retry
}

function parseDebug(value: unknown): DebugInfo | undefined {
  if (!isPlainRecord(value)) return undefined
  const debug: DebugInfo = {}
  const message = own(value, 'message')
  const stack = own(value, 'stack')
  const cause = own(value, 'cause')
  if (typeof message === 'string') debug.message = message
  if (typeof stack === 'string') debug.stack = stack
  if (Array.isArray(cause)) {
    debug.cause = cause.filter(isPlainRecord).map((c): DebugCause => {
      const link: DebugCause = { name: String(own(c, 'name') ?? 'Error'), message: String(own(c, 'message') ?? '') }
      const s = own(c, 'stack')
      if (typeof s === 'string') link.stack = s
      return link
    })
  }
  if (Object.hasOwn(value, 'input')) {
    const input = sanitize(own(value, 'input'), 0)
    if (input.ok) debug.input = input.value
  }
  return debug
}

/**
 * Checks that a value is a version-1 envelope and returns a clean copy: only
 * known members, no prototype-polluting keys, extension members ignored
 * (as RFC 9457 asks of consumers). Needs no schema library.
 */
export function parseEnvelope(value: unknown): ParseResult {
  const fail = (reason: string): ParseResult => ({ ok: false, reason })
  if (!isPlainRecord(value)) return fail('envelope is not an object')
  if (own(value, 'v') !== ENVELOPE_VERSION) return fail(`unsupported envelope version ${String(own(value, 'v'))}`)
  const code = own(value, 'code')
  if (typeof code !== 'string' || !isValidCode(code)) return fail('envelope code is not an UPPER_SNAKE string')
  const status = own(value, 'status')
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return fail('envelope status is not an HTTP status')
  }
  const message = own(value, 'message')
  if (typeof message !== 'string') return fail('envelope message is not a string')
  const retry = parseRetry(own(value, 'retry'))
  if (!retry) return fail('envelope retry is not { retryable: boolean, afterMs?: number }')

  const envelope: AnyEnvelope = { v: ENVELOPE_VERSION, code, status, message, retry }
  if (Object.hasOwn(value, 'data')) {
    const data = sanitize(own(value, 'data'), 0)
    if (!data.ok) return fail('envelope data is nested too deeply')
    envelope.data = data.value
  }
  const issues = own(value, 'issues')
  if (issues !== undefined) {
    if (!Array.isArray(issues)) return fail('envelope issues is not an array')
    const parsed: Issue[] = []
    for (const raw of issues) {
      const issue = parseIssue(raw)
      if (!issue) return fail('envelope issues has an entry that is not { path, pointer, code, message }')
      parsed.push(issue)
    }
    envelope.issues = parsed
  }
  for (const key of ['requestId', 'traceId', 'help'] as const) {
    const v = own(value, key)
    if (v === undefined) continue
    if (typeof v !== 'string') return fail(`envelope ${key} is not a string`)
    envelope[key] = v
  }
  const declared = own(value, 'declared')
  if (declared !== undefined) {
    if (typeof declared !== 'boolean') return fail('envelope declared is not a boolean')
    envelope.declared = declared
  }
  const debug = parseDebug(own(value, 'debug'))
  if (debug) envelope.debug = debug
  return { ok: true, envelope }
}
