/**
 * tRPC's error code keys. Kept here as strings so the contract stays free of
 * any tRPC dependency; the server maps them to JSON-RPC numbers.
 */
export type TRPCCodeKey =
  | 'PARSE_ERROR'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'PAYMENT_REQUIRED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'TIMEOUT'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE_CONTENT'
  | 'PRECONDITION_REQUIRED'
  | 'TOO_MANY_REQUESTS'
  | 'CLIENT_CLOSED_REQUEST'
  | 'INTERNAL_SERVER_ERROR'
  | 'NOT_IMPLEMENTED'
  | 'BAD_GATEWAY'
  | 'SERVICE_UNAVAILABLE'
  | 'GATEWAY_TIMEOUT'

/**
 * The codes the server itself emits, merged into every catalog. The single
 * source of truth for their HTTP status, tRPC key, default message and retry hint.
 */
export const BUILTIN_ERRORS = {
  BAD_REQUEST: { status: 400, trpc: 'BAD_REQUEST', message: 'Bad request', retryable: false },
  VALIDATION_FAILED: { status: 400, trpc: 'BAD_REQUEST', message: 'Invalid input', retryable: false },
  UNAUTHORIZED: { status: 401, trpc: 'UNAUTHORIZED', message: 'Authentication required', retryable: false },
  FORBIDDEN: { status: 403, trpc: 'FORBIDDEN', message: 'Forbidden', retryable: false },
  NOT_FOUND: { status: 404, trpc: 'NOT_FOUND', message: 'Not found', retryable: false },
  METHOD_NOT_SUPPORTED: {
    status: 405,
    trpc: 'METHOD_NOT_SUPPORTED',
    message: 'Method not supported',
    retryable: false,
  },
  TIMEOUT: { status: 408, trpc: 'TIMEOUT', message: 'Request timed out', retryable: true },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    trpc: 'PAYLOAD_TOO_LARGE',
    message: 'Payload too large',
    retryable: false,
  },
  RATE_LIMITED: { status: 429, trpc: 'TOO_MANY_REQUESTS', message: 'Too many requests', retryable: true },
  CLIENT_CLOSED: {
    status: 499,
    trpc: 'CLIENT_CLOSED_REQUEST',
    message: 'Client closed the request',
    retryable: false,
  },
  INTERNAL: { status: 500, trpc: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', retryable: false },
  UNAVAILABLE: {
    status: 503,
    trpc: 'SERVICE_UNAVAILABLE',
    message: 'Service unavailable',
    retryable: true,
  },
} as const satisfies Record<string, { status: number; trpc: TRPCCodeKey; message: string; retryable: boolean }>

/** A code the server emits on its own. */
export type BuiltinCode = keyof typeof BUILTIN_ERRORS

/**
 * The code a client gives a response that is not a valid envelope (proxy HTML,
 * truncated JSON, network failure). Never sent by a server; reserved in catalogs.
 */
export const TRANSPORT_ERROR = 'TRANSPORT_ERROR' as const

// tRPC's key for each status from 400 to 504, by its distance from 400 ('' for a status without a
// key of its own): a list compresses better than a map of status to key
const KEYS_BY_STATUS = (
  'BAD_REQUEST UNAUTHORIZED PAYMENT_REQUIRED FORBIDDEN NOT_FOUND METHOD_NOT_SUPPORTED   TIMEOUT CONFLICT   ' +
  'PRECONDITION_FAILED PAYLOAD_TOO_LARGE  UNSUPPORTED_MEDIA_TYPE       UNPROCESSABLE_CONTENT      ' +
  'PRECONDITION_REQUIRED TOO_MANY_REQUESTS' +
  '                                                                      ' +
  'CLIENT_CLOSED_REQUEST INTERNAL_SERVER_ERROR NOT_IMPLEMENTED BAD_GATEWAY SERVICE_UNAVAILABLE GATEWAY_TIMEOUT'
).split(' ')

/** The tRPC code key a stock tRPC client should see for an HTTP status: the closest tRPC knows when it has none. */
export function trpcKeyForStatus(status: number): TRPCCodeKey {
  return (KEYS_BY_STATUS[status - 400] || (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST')) as TRPCCodeKey
}

/** Codes are a stable contract: UPPER_SNAKE_CASE, at most 63 characters (Google AIP-193). */
export const CODE_PATTERN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/
/** The longest code a catalog accepts. */
export const MAX_CODE_LENGTH = 63

/** Whether a string is a well-formed error code. */
export function isValidCode(code: string): boolean {
  return code.length <= MAX_CODE_LENGTH && CODE_PATTERN.test(code)
}

/**
 * Built-in codes any procedure may answer with, declared or not: failures of
 * the request itself (malformed, wrong method, too large, an unknown path) or
 * of the server. Every other code must be declared by the procedure.
 */
export const IMPLICIT_CODES = [
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'NOT_FOUND',
  'METHOD_NOT_SUPPORTED',
  'PAYLOAD_TOO_LARGE',
  'TIMEOUT',
  'CLIENT_CLOSED',
  'INTERNAL',
  'UNAVAILABLE',
] as const satisfies readonly BuiltinCode[]

/** A code every procedure may answer with. */
export type ImplicitCode = (typeof IMPLICIT_CODES)[number]
