import { FaultlineError } from '@faultline/contract'
import type { AnyProcedure, AnyRouter } from '@trpc/server'
import { createBuilder, createRouterFactory } from '@trpc/server/unstable-core-do-not-import'

/** What a mock does when its procedure is called. */
export type MockResolver = (opts: { input: unknown }) => unknown

/** Thrown (and so answered as INTERNAL) when a test calls a procedure it did not mock. */
export class UnmockedProcedureError extends Error {
  constructor(readonly path: string) {
    super(`No mock for tRPC procedure "${path}": mock it with kit.mock.${path}.<query|mutation>(…)`)
    this.name = 'UnmockedProcedureError'
  }
}

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription'
  inputs: unknown[]
  meta: unknown
  middlewares: { _type?: string }[]
}

/** The procedures of a router by dotted path. */
export function proceduresOf(router: AnyRouter): Record<string, AnyProcedure> {
  return router._def.procedures as Record<string, AnyProcedure>
}

function setAt(record: Record<string, unknown>, path: string[], value: unknown) {
  let node = record
  for (const key of path.slice(0, -1)) {
    node[key] ??= {}
    node = node[key] as Record<string, unknown>
  }
  node[path[path.length - 1] as string] = value
}

/**
 * A router with the app's shape and config (transformer, error formatter), in
 * which every procedure keeps its own input validators and error declarations
 * (so validation failures and `declared` verdicts are the real ones) and gets
 * the mock's resolver instead of its own. Other middlewares (auth, database
 * sessions) are left out: they need the real context, and the mock decides.
 */
export function buildMockRouter(
  app: AnyRouter,
  resolvers: ReadonlyMap<string, MockResolver>,
  onUnmocked: (path: string) => void,
): AnyRouter {
  const config = app._def._config
  const record: Record<string, unknown> = {}
  for (const [path, procedure] of Object.entries(proceduresOf(app))) {
    const def = procedure._def as unknown as ProcedureDef
    const middlewares = def.middlewares.filter((m) => m._type === 'input' || m._type === 'errors')
    const mocked = resolvers.get(path)
    const resolver = mocked
      ? (opts: { input: unknown }) => mocked({ input: opts.input })
      : () => {
          onUnmocked(path)
          throw new UnmockedProcedureError(path)
        }
    const builder = createBuilder({
      config,
      meta: def.meta,
      inputs: def.inputs as never,
      middlewares: middlewares as never,
    })
    // the builder's three terminal methods differ in type; at runtime each takes the resolver alone
    const terminal = builder[def.type] as unknown as (resolver: unknown) => unknown
    setAt(record, path.split('.'), terminal(resolver))
  }
  return createRouterFactory(config)(record as never)
}

/** A mock given as a value: an error to throw. */
export function throwing(error: Error): MockResolver {
  return () => {
    throw error
  }
}

export function isErrorValue(value: unknown): value is Error {
  return FaultlineError.is(value) || value instanceof Error
}
