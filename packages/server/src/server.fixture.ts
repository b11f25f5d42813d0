// Shared by the server's unit tests: a catalog, a logger that records its lines, and a formatter call as tRPC makes it.
import { defineErrors } from '@faultline/contract'
import { TRPCError } from '@trpc/server'
import pino from 'pino'
import { z } from 'zod'
import type { Logger } from './engine/log'
import type { FormatterOptions } from './trpc/formatter'
import type { TRPCWireShape } from './trpc/shape'

/** A catalog with a data schema, and one whose schema is async (a definition bug). */
export const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  SLOW: { status: 400, message: 'Slow', data: z.object({ n: z.string().refine(async () => true) }) },
})

/** A real pino logger that keeps each line as `[level, obj, msg]`, parsed back from the JSON pino wrote. */
export function recorder() {
  const lines: [string, Record<string, unknown>, string][] = []
  const destination = {
    write(json: string) {
      const { level, msg, ...obj } = JSON.parse(json) as { level: string; msg: string }
      lines.push([level, obj, msg])
    },
  }
  // no pid, hostname or time: the fields left are the ones Faultline logged
  const logger: Logger = pino(
    { base: null, timestamp: false, formatters: { level: (label) => ({ level: label }) } },
    destination,
  )
  return { lines, logger }
}

/** Formats an error the way tRPC calls the formatter: what is not a TRPCError comes wrapped in one. */
export function format(fl: { errorFormatter: (opts: FormatterOptions) => unknown }, thrown: unknown, path = 'p') {
  const error = thrown instanceof TRPCError ? thrown : new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: thrown })
  return fl.errorFormatter({
    error,
    type: 'query',
    path,
    input: { q: 1 },
    ctx: { requestId: 'r1' },
    shape: {},
  }) as TRPCWireShape
}
