import type { AnyProcedure, AnyRouter, inferProcedureInput, inferProcedureOutput } from '@trpc/server'
import {
  type FetchCreateContextFn,
  type FetchHandlerRequestOptions,
  fetchRequestHandler,
} from '@trpc/server/adapters/fetch'
import { type HttpHandler, http } from 'msw'
import { buildMockRouter, isErrorValue, type MockResolver, proceduresOf, throwing } from './mock-router'

/** How a test mocks one procedure: a function of the input returning data, or an error to throw. */
export type MockImpl<TProcedure extends AnyProcedure> =
  | Error
  | ((opts: {
      input: inferProcedureInput<TProcedure>
    }) => inferProcedureOutput<TProcedure> | Promise<inferProcedureOutput<TProcedure>>)

type MockProcedure<TProcedure extends AnyProcedure> = TProcedure['_def']['type'] extends 'query'
  ? { query(impl: MockImpl<TProcedure>): void }
  : TProcedure['_def']['type'] extends 'mutation'
    ? { mutation(impl: MockImpl<TProcedure>): void }
    : never

/** `kit.mock`: the router's procedures, each with `.query(…)` or `.mutation(…)` to mock it. */
export type MockRecord<TRecord> = {
  [K in keyof TRecord]: TRecord[K] extends AnyProcedure ? MockProcedure<TRecord[K]> : MockRecord<TRecord[K]>
}

/**
 * What the kit reads off the app's Faultline instance (`fl` fits): its context
 * factory and adapter hooks, in the fetch adapter's terms, so the kit's types
 * need nothing from `@faultline/server`.
 */
export interface FaultlineHooks {
  createContext(): FetchCreateContextFn<AnyRouter>
  adapter(): Pick<FetchHandlerRequestOptions<AnyRouter>, 'onError' | 'responseMeta'>
}

export interface FaultlineMswOptions<TRouter extends AnyRouter> {
  /** The app's router: its config, validators and declarations answer for the mocks. */
  router: TRouter
  /** The app's Faultline instance: request ids, headers and envelopes come from it. */
  faultline: FaultlineHooks
  /** Where the client sends tRPC requests, e.g. `http://localhost:3000/trpc`. */
  url: string
}

/**
 * msw handlers that answer tRPC requests exactly as the real server does,
 * errors included: the app's own router config, transformer, input
 * validators, declarations and Faultline formatter produce every response.
 * Single calls, batches (207 when statuses differ) and streamed batches, GET
 * and POST. A test says what each procedure answers; a call to a procedure it
 * did not mock is answered as INTERNAL and named by `assertAllMocked()`.
 *
 * @example
 * const kit = createFaultlineMsw({ router: appRouter, faultline: fl, url: 'http://localhost/trpc' })
 * const server = setupServer(...kit.handlers)
 * kit.mock.user.byId.query(({ input }) => ({ id: input.id, name: 'Ada' }))
 * kit.mock.user.create.mutation(errors.EMAIL_TAKEN({ email: 'ada@example.com' }))
 */
export function createFaultlineMsw<TRouter extends AnyRouter>(opts: FaultlineMswOptions<TRouter>) {
  const resolvers = new Map<string, MockResolver>()
  const unmocked: string[] = []
  let router: AnyRouter | undefined
  const procedures = proceduresOf(opts.router)
  const base = new URL(opts.url)
  const endpoint = base.pathname.replace(/\/$/, '')

  const mockRouter = () => {
    router ??= buildMockRouter(opts.router, resolvers, (path) => unmocked.push(path))
    return router
  }

  const handler: HttpHandler = http.all(`${base.origin}${endpoint}/*`, ({ request }) =>
    fetchRequestHandler({
      endpoint,
      req: request,
      router: mockRouter(),
      createContext: opts.faultline.createContext(),
      ...opts.faultline.adapter(),
    }),
  )

  const register = (path: string, kind: string, impl: unknown) => {
    const procedure = procedures[path]
    if (!procedure) throw new TypeError(`createFaultlineMsw: the router has no procedure "${path}"`)
    const type = procedure._def.type
    if (type !== kind) throw new TypeError(`createFaultlineMsw: "${path}" is a ${type}; mock it with .${type}(…)`)
    if (typeof impl !== 'function' && !isErrorValue(impl)) {
      throw new TypeError(`createFaultlineMsw: mock "${path}" with a function returning its data, or an error to throw`)
    }
    resolvers.set(path, isErrorValue(impl) ? throwing(impl) : (impl as MockResolver))
    router = undefined
  }

  const proxy = (path: string[]): unknown =>
    new Proxy(() => {}, {
      get(_target, key) {
        if (typeof key !== 'string') return undefined
        if (key === 'query' || key === 'mutation') return (impl: unknown) => register(path.join('.'), key, impl)
        return proxy([...path, key])
      },
    })

  return {
    /** The msw handler to give `setupServer` or `setupWorker`. */
    handler,
    /** The same, as an array: `setupServer(...kit.handlers)`. */
    handlers: [handler],
    /** Mocks by procedure: `kit.mock.user.byId.query(({ input }) => data)` or `.query(errors.X(…))`. */
    mock: proxy([]) as MockRecord<TRouter['_def']['record']>,
    /** Procedures called without a mock since the last reset. */
    unmockedCalls(): readonly string[] {
      return [...unmocked]
    },
    /** Throws, naming them, if procedures were called without a mock. Call it in `afterEach`. */
    assertAllMocked() {
      if (unmocked.length === 0) return
      const names = [...new Set(unmocked)]
      unmocked.length = 0
      throw new Error(`tRPC procedure(s) called without a mock: ${names.join(', ')}`)
    },
    /** Forgets every mock and unmocked call, for the next test. */
    reset() {
      resolvers.clear()
      unmocked.length = 0
      router = undefined
    },
  }
}

export type FaultlineMsw<TRouter extends AnyRouter> = ReturnType<typeof createFaultlineMsw<TRouter>>
