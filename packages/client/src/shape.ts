import {
  type AnyEnvelope,
  type TRPCCodeKey,
  trpcKeyForStatus,
  type WireShape,
  withoutPrototypeKeys,
} from '@faultline/contract'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'

/** The `data` of the fields an app's formatter added (`TExtra['data']`); none by default. */
export type ExtraData<TExtra> = TExtra extends { data: infer D } ? D : unknown

/**
 * The fields of `raw`, on a fresh object without prototype keys, with `made`'s
 * field in place of each of its fields that `raw` lacks or sends with another type.
 */
function typedFields<T extends object>(raw: object, made: T): T {
  const out = withoutPrototypeKeys(raw)
  for (const key of Object.keys(made) as (keyof T & string)[])
    if (typeof out[key] !== typeof made[key]) out[key] = made[key]
  return out as T
}

/**
 * tRPC's key for a failure the server did not shape: the status's own key for
 * an error status; no response (0) or a response that was not an error (a
 * 200 HTML page) is INTERNAL_SERVER_ERROR, or CLIENT_CLOSED_REQUEST when the
 * caller aborted.
 */
export function keyForStatus(status: number, aborted?: boolean): TRPCCodeKey {
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
  const data = typedFields(raw.data, made.data)
  if (typeof data.path !== 'string') delete data.path
  return { ...typedFields(raw, made), data: { ...data, error: envelope } }
}
