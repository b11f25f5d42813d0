// A browser client with plain tRPC: the baseline.
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import superjson from 'superjson'

export const client = createTRPCClient({ links: [httpBatchLink({ url: '/trpc', transformer: superjson })] })
