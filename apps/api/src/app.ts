import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Logger } from '@faultline/server'
import type { TaskRunner } from '@faultline/server/runner'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { errors } from './errors'
import { indexPage } from './page'
import { createApi } from './router'
import { serveStatic, WEB_DIST } from './static'
import { createStore } from './store'

const TOKENS: Record<string, { id: string; role: 'customer' | 'admin' }> = {
  'Bearer admin-token': { id: 'u_admin', role: 'admin' },
  'Bearer customer-token': { id: 'u_customer', role: 'customer' },
}

/** The example service as a node HTTP server: tRPC under /trpc, a page at /, problem+json elsewhere. */
export function createApp(opts: {
  logger: Logger | false
  expose?: 'safe' | 'debug'
  webRoot?: string
  /** Where background tasks run; default this process. */
  runner?: TaskRunner
}) {
  const webRoot = opts.webRoot ?? WEB_DIST
  const store = createStore()
  const { fl, router } = createApi(opts)
  const trpc = createHTTPHandler({
    router,
    basePath: '/trpc/',
    maxBodySize: 100_000,
    createContext: fl.createContext(({ req }: { req: IncomingMessage }) => ({
      store,
      user: TOKENS[req.headers.authorization ?? ''],
      ip: req.socket.remoteAddress ?? 'unknown',
    })),
    ...fl.adapter(),
  })

  const problem = (res: ServerResponse, thrown: unknown, instance: string) => {
    const answer = fl.toProblem(thrown, { instance })
    res.writeHead(answer.status, answer.headers)
    res.end(JSON.stringify(answer.body))
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname.startsWith('/trpc/')) return trpc(req, res)
    if (req.method === 'GET' && serveStatic(webRoot, url.pathname, res)) return
    if (url.pathname === '/' && req.method === 'GET') {
      // the page has not been built: a plain page of links instead
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      return res.end(indexPage)
    }
    // outside tRPC, failures get the same contract as RFC 9457 problem details
    return problem(res, errors.NOT_FOUND(), url.pathname)
  })
  return { server, router, fl, store }
}
