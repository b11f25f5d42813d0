import { faultlineFetch, faultlineLink } from '@faultline/client'
import type { AppRouter } from '@faultline/example-api/router'
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client'
import { createTRPCContext } from '@trpc/tanstack-react-query'
import superjson from 'superjson'

export type { AppRouter }

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>()

/** The page's tRPC client: every failure rehydrated as a typed Faultline error. */
export function createClient(url = '/trpc') {
  return createTRPCClient<AppRouter>({
    links: [
      faultlineLink(),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url, transformer: superjson }),
        false: httpBatchLink({ url, transformer: superjson, fetch: faultlineFetch() }),
      }),
    ],
  })
}
