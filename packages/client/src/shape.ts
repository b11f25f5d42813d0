import { type AnyEnvelope, type TRPCCodeKey, trpcKeyForStatus, type WireShape } from '@faultline/contract'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'

/** The `data` of the fields an app's formatter added (`TExtra['data']`); none by default. */
export type ExtraData<TExtra> = TExtra extends { data: infer D } ? D : unknown

// keys that could reach a prototype when a reader copies or merges the object
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** A fresh object with the own enumerable fields of `value`, minus keys that could reach a prototype. */
function fieldsOf(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) if (!UNSAFE_KEYS.has(key)) out[key] = (value as typeof out)[key]
  return out
}

// `value` when it has the type of `fallback`; else `fallback`
function typed<T>(value: unknown, fallback: T): T {
  return typeof value === typeof fallback ? (value as T) : fallback
}

/**
 * tRPC's key for a failure the server did not shape: the status's own key for
 * an error status; no response (0) or a response that was not an error (a
 * 200 HTML page) is INTERNAL_SERVER_ERROR, or CLIENT_CLOSED_REQUEST when the
 * caller aborted.
 */
export function keyForStatus(status: number, aborted = false): TRPCCodeKey {
  if (status >= 400) return trpcKeyForStatus(status)
  return aborted ? 'CLIENT_CLOSED_REQUEST' : 'INTERNAL_SERVER_ERROR'
}

/** The shape a client makes for an envelope no server shaped: tRPC's fields, read from the status. */
export function shapeOf<TEnvelope extends AnyEnvelope>(
  envelope: TEnvelope,
  key = keyForStatus(envelope.status),
): WireShape<TEnvelope> {
  return {
    code: TRPC_ERROR_CODES_BY_KEY[key],
    message: envelope.message,
    data: { code: key, httpStatus: envelope.status, error: envelope },
  }
}

/**
 * The server's shape around its checked envelope: every field the server's
 * formatter added is kept (one level deep, on fresh objects, prototype keys
 * dropped); tRPC's own fields are kept when they have their types, else read
 * from the envelope; `data.error` is the checked envelope.
 */
export function rehydrateShape(raw: { data: object }, envelope: AnyEnvelope): WireShape {
  const made = shapeOf(envelope)
  const shape = fieldsOf(raw)
  const data = fieldsOf(raw.data)
  if (typeof data.path !== 'string') delete data.path
  return {
    ...shape,
    code: typed(shape.code, made.code),
    message: typed(shape.message, made.message),
    data: {
      ...data,
      code: typed(data.code, made.data.code),
      httpStatus: typed(data.httpStatus, made.data.httpStatus),
      error: envelope,
    },
  }
}
