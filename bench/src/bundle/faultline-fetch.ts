// The same, with the optional fetch wrapper that keeps status and body of non-tRPC responses.
import { faultlineFetch, faultlineLink, fieldErrors, isFaultlineError, match, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import superjson from 'superjson'

export const client = createTRPCClient({
  links: [faultlineLink(), httpBatchLink({ url: '/trpc', transformer: superjson, fetch: faultlineFetch() })],
})
export { fieldErrors, isFaultlineError, match, safe }
