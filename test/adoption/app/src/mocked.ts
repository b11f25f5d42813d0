// The testing kit: msw answers as the real server would, from the same router and Faultline instance.
import { faultlineFetch, faultlineLink, isFaultlineError, safe } from '@faultline/client'
import { createFaultlineMsw } from '@faultline/msw'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import { setupServer } from 'msw/node'
import superjson from 'superjson'
import { errors } from './errors.js'
import { type AppRouter, fl, router } from './router.js'

const url = 'http://api.example.test/trpc'
const kit = createFaultlineMsw({ router, faultline: fl, url })
const server = setupServer(...kit.handlers)
server.listen({ onUnhandledRequest: 'error' })

kit.mock.user.byId.query(errors.USER_NOT_FOUND({ userId: 'u_mocked' }))
const client = createTRPCClient<AppRouter>({
  links: [faultlineLink(), httpBatchLink({ url, transformer: superjson, fetch: faultlineFetch() })],
})
const [, err] = await safe(client.user.byId.query({ id: 'u_1' }))
console.log(JSON.stringify({ mocked: isFaultlineError(err, 'USER_NOT_FOUND') ? err.details.userId : err?.code }))
server.close()
