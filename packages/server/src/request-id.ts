import { idMaker } from './random-id'

/** The header a request id is read from and written to. */
export const REQUEST_ID_HEADER = 'x-request-id'

// Short and printable: a hostile id (CRLF, megabytes, non-ASCII) is replaced, never echoed.
const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

/** Reads a header from a fetch `Request` or a node `IncomingMessage`. */
export function readHeader(req: unknown, name: string): string | undefined {
  if (typeof req !== 'object' || req === null) return undefined
  try {
    const headers = (req as { headers?: unknown }).headers
    if (typeof headers !== 'object' || headers === null) return undefined
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
    // plain header records (node, AWS Lambda) may keep the sender's casing
    const record = headers as Record<string, unknown>
    const key = Object.hasOwn(record, name) ? name : Object.keys(record).find((k) => k.toLowerCase() === name)
    const value = key === undefined ? undefined : record[key]
    if (typeof value === 'string') return value
    if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  } catch {
    // unreadable headers: behave as if the header were absent
  }
  return undefined
}

/** The incoming id when it is short and safe, else `undefined`. */
export function acceptRequestId(value: string | undefined): string | undefined {
  return value !== undefined && SAFE_ID.test(value) ? value : undefined
}

// RFC 9110 token characters
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Whether a string can be an HTTP header name. */
export function isHeaderName(name: string): boolean {
  return HEADER_NAME.test(name)
}

/** A fresh request id: `req_` and 32 hex digits. */
export const newRequestId: () => string = idMaker('req_')
