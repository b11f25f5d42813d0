// A failure no Faultline server shaped (a proxy's page, an empty 500, no response at all)
// still gives tRPC's err.data.code and err.data.httpStatus, and a WireShape to match.
import { createServer, type ServerResponse } from 'node:http'
import { faultlineFetch, faultlineLink, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AppRouter, plainJson } from './fixtures/app'
import { listen } from './fixtures/listen'

type Reply = (res: ServerResponse) => void

const REPLIES: Record<string, Reply> = {
  gateway: (res) => {
    res.writeHead(502, { 'content-type': 'text/html' })
    res.end('<html><body><h1>502 Bad Gateway</h1>nginx</body></html>')
  },
  empty: (res) => {
    res.writeHead(500)
    res.end()
  },
  // never answers: the caller aborts first
  hang: () => {},
}

const http = createServer((req, res) => {
  // the first path segment names the reply: `/gateway/ok?…`
  const reply = REPLIES[new URL(req.url ?? '/', 'http://x').pathname.split('/')[1] ?? '']
  if (reply) reply(res)
  else res.writeHead(404).end()
})
let server: Awaited<ReturnType<typeof listen>>
beforeAll(async () => {
  server = await listen(http)
})
afterAll(() => {
  const closed = server.close()
  http.closeAllConnections()
  return closed
})

function client(url: string, kind: 'httpLink' | 'httpBatchLink', withFetch = true) {
  const opts = { url, transformer: plainJson, ...(withFetch ? { fetch: faultlineFetch() } : {}) }
  return createTRPCClient<AppRouter>({
    links: [faultlineLink(), kind === 'httpLink' ? httpLink(opts) : httpBatchLink(opts)],
  })
}

describe.each(['httpLink', 'httpBatchLink'] as const)('%s', (kind) => {
  test.each([
    { reply: 'gateway', httpStatus: 502, code: 'BAD_GATEWAY' },
    { reply: 'empty', httpStatus: 500, code: 'INTERNAL_SERVER_ERROR' },
  ])('a $reply response gives data.httpStatus $httpStatus and data.code $code', async ({ reply, httpStatus, code }) => {
    const [, err] = await safe(client(`${server.url}/${reply}`, kind).ok.query())
    if (!err) throw new Error('expected an error')
    expect(err.code).toBe('TRANSPORT_ERROR')
    expect(err.data).toEqual({ code, httpStatus, error: err.envelope })
    expect(err.shape).toEqual({ code: -32603, message: err.message, data: err.data })
    expect(err.status).toBe(httpStatus)
  })

  test('without faultlineFetch tRPC loses the status, and data still has its fields', async () => {
    const [, err] = await safe(client(`${server.url}/gateway`, kind, false).ok.query())
    expect(err?.code).toBe('TRANSPORT_ERROR')
    expect(err?.data).toEqual({ code: 'INTERNAL_SERVER_ERROR', httpStatus: 0, error: err?.envelope })
  })
})

test('no response at all gives httpStatus 0 and INTERNAL_SERVER_ERROR', async () => {
  const [, err] = await safe(client('http://127.0.0.1:1', 'httpLink').ok.query())
  expect(err?.code).toBe('TRANSPORT_ERROR')
  expect(err?.data).toEqual({ code: 'INTERNAL_SERVER_ERROR', httpStatus: 0, error: err?.envelope })
})

test('a call the caller aborted gives httpStatus 0 and CLIENT_CLOSED_REQUEST', async () => {
  const controller = new AbortController()
  const call = safe(client(`${server.url}/hang`, 'httpLink').ok.query(undefined, { signal: controller.signal }))
  setTimeout(() => controller.abort(), 20)
  const [, err] = await call
  expect(err?.code).toBe('TRANSPORT_ERROR')
  expect(err?.data).toEqual({ code: 'CLIENT_CLOSED_REQUEST', httpStatus: 0, error: err?.envelope })
  expect(err?.shape.code).toBe(-32099)
})
