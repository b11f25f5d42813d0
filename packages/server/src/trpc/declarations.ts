import type { AnyProcedure, AnyRouter } from '@trpc/server'
import { TRPCError } from '@trpc/server'

/** Marks the error `inspectDeclarations` sends through a procedure's declarations. */
export const DECLARATION_PROBE = Symbol.for('faultline.declarationProbe')

/** What a procedure declares, by path: `undefined` when it has no declaration at all. */
export type DeclarationMap = Record<string, { type: string; declares: string[] | undefined }>

interface MiddlewareLike {
  _type?: string
  (opts: unknown): Promise<unknown>
}

/**
 * Lists the codes each procedure of a router declares, by running a probe
 * error through its `.errors()` steps (declarations live in those closures).
 * No resolver, input validator or other middleware runs.
 */
export async function inspectDeclarations(router: AnyRouter): Promise<DeclarationMap> {
  const out: DeclarationMap = {}
  const procedures = router._def.procedures as Record<string, AnyProcedure>
  for (const [path, procedure] of Object.entries(procedures)) {
    const def = procedure._def as unknown as { type: string; middlewares: MiddlewareLike[]; meta: unknown }
    const probe = Object.assign(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'declaration probe' }), {
      [DECLARATION_PROBE]: [] as string[][],
    })
    for (const middleware of def.middlewares.filter((m) => m._type === 'errors')) {
      await middleware({
        ctx: {},
        type: def.type,
        path,
        input: undefined,
        getRawInput: async () => undefined,
        meta: def.meta,
        signal: undefined,
        batchIndex: 0,
        next: async () => ({ ok: false, error: probe }),
      })
    }
    const seen = probe[DECLARATION_PROBE]
    out[path] = { type: def.type, declares: seen.length ? [...new Set(seen.flat())].sort() : undefined }
  }
  return out
}
