import type { TRPCLink } from '@trpc/client'
import type { AnyRouter } from '@trpc/server'
import { observable } from '@trpc/server/observable'
import { FaultlineClientError } from './error'

/**
 * Rehydrates every failure into a `FaultlineClientError`: put it first in the
 * links, before the terminating HTTP link.
 *
 * @example
 * createTRPCClient<AppRouter>({ links: [faultlineLink(), httpBatchLink({ url, fetch: faultlineFetch() })] })
 */
export function faultlineLink<TRouter extends AnyRouter = AnyRouter>(): TRPCLink<TRouter> {
  return () =>
    ({ next, op }) =>
      observable((observer) => {
        const subscription = next(op).subscribe({
          next: (value) => observer.next(value),
          error: (cause) => observer.error(FaultlineClientError.from(cause)),
          complete: () => observer.complete(),
        })
        return () => subscription.unsubscribe()
      })
}
