// The same client with Faultline's link and the helpers a page uses.
import { faultlineLink, fieldErrors, isFaultlineError, match, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import superjson from 'superjson'

export const client = createTRPCClient({
  links: [faultlineLink(), httpBatchLink({ url: '/trpc', transformer: superjson })],
})
export { fieldErrors, isFaultlineError, match, safe }
