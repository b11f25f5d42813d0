// The HTTP server: createContext and the adapter hooks are the other two places to wire.
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import { fl, router } from './router.js'

const server = createHTTPServer({
  router,
  createContext: fl.createContext(({ req }: { req: IncomingMessage }) => ({
    user: req.headers.authorization === 'Bearer ada' ? 'u_1' : undefined,
  })),
  ...fl.adapter(),
})

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: (server.address() as AddressInfo).port }))
})
