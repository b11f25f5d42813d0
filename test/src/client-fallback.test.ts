// Bodies that are not a valid envelope become a typed TRANSPORT_ERROR with the
// HTTP status and the start of the raw body: never a crash, never pollution.
import { createServer, type Server } from 'node:http'
import { FaultlineClientError, faultlineFetch, faultlineLink, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink, httpLink } from '@trpc/client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AppRouter, plainJson } from './fixtures/app'

type Reply = { status: number; type?: string; body: string }

const REPLIES: Record<string, Reply> = {
  proxyHtml: { status: 502, type: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1>nginx</body></html>' },
  spaIndex: { status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><div id="root"></div>' },
  empty: { status: 503, body: '' },
  truncated: { status: 500, type: 'application/json', body: '{"error":{"code":-32603,"mess' },
  wrongTypes: { status: 400, type: 'application/json', body: '{"error":{"code":"x","message":5}}' },
  badEnvelope: {
    status: 404,
    type: 'application/json',
    body: '{"error":{"code":-32004,"message":"x","data":{"error":{"v":1,"code":"lower case","status":"404"}}}}',
  },
  stockTrpc: {
    status: 404,
    type: 'application/json',
    body: '{"error":{"code":-32004,"message":"No such thing","data":{"code":"NOT_FOUND","httpStatus":404}}}',
  },
  number: { status: 500, type: 'application/json', body: '42' },
  huge: { status: 502, type: 'text/html', body: `<html>${'x'.repeat(5_000_000)}</html>` },
}

let server: Server
let url: string
beforeAll(async () => {
  server = createServer((req, res) => {
    const key = new URL(req.url ?? '/', 'http://x').pathname.slice(1).split(',')[0]?.split('.')[0] ?? ''
    const reply = REPLIES[key] ?? { status: 500, body: 'unknown' }
    res.writeHead(reply.status, reply.type ? { 'content-type': reply.type } : {})
    res.end(reply.body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  url = `http://127.0.0.1:${address.port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

// The fixture router's types; the server answering is the broken one above.
function client(kind: 'httpLink' | 'httpBatchLink', withFetch = true) {
  const opts = { url, transformer: plainJson, ...(withFetch ? { fetch: faultlineFetch() } : {}) }
  return createTRPCClient<AppRouter>({
    links: [faultlineLink(), kind === 'httpLink' ? httpLink(opts) : httpBatchLink(opts)],
  })
}

// Queries the route named by `key`: the broken server answers by path.
function call(kind: 'httpLink' | 'httpBatchLink', key: string, withFetch = true) {
  const proxy = client(kind, withFetch) as unknown as Record<string, { ok: { query: () => Promise<unknown> } }>
  const target = proxy[key]
  if (!target) throw new Error(`no route ${key}`)
  return safe(target.ok.query())
}

describe.each(['httpLink', 'httpBatchLink'] as const)('%s', (kind) => {
  test.each([
    ['proxyHtml', 502, '502 Bad Gateway', true],
    ['spaIndex', 200, '<div id="root">', false],
    ['empty', 503, '', true],
    ['truncated', 500, '{"error":{"code":-32603,"mess', false],
    ['huge', 502, '<html>xxx', true],
  ])('%s becomes TRANSPORT_ERROR with status %i and the raw body', async (key, status, bodyStart, retryable) => {
    const [, err] = await call(kind, key)
    expect(err).toBeInstanceOf(FaultlineClientError)
    expect(err?.code).toBe('TRANSPORT_ERROR')
    expect(err?.status).toBe(status)
    expect(err?.body).toContain(bodyStart)
    expect(err?.body?.length ?? 0).toBeLessThan(2100)
    expect(err?.retry.retryable).toBe(retryable)
  })

  test.each([
    ['wrongTypes', 400],
    ['badEnvelope', 404],
    ['stockTrpc', 404],
    ['number', 500],
  ])('JSON that is not an envelope (%s) becomes TRANSPORT_ERROR with status %i', async (key, status) => {
    const [, err] = await call(kind, key)
    expect(err?.code).toBe('TRANSPORT_ERROR')
    expect(err?.status).toBe(status)
  })

  test('without faultlineFetch the fallback is still typed', async () => {
    const [, err] = await call(kind, 'proxyHtml', false)
    expect(err).toBeInstanceOf(FaultlineClientError)
    expect(err?.code).toBe('TRANSPORT_ERROR')
  })
})

test('a network failure is a retryable TRANSPORT_ERROR with status 0', async () => {
  const dead = createTRPCClient<AppRouter>({
    links: [faultlineLink(), httpLink({ url: 'http://127.0.0.1:1', fetch: faultlineFetch(), transformer: plainJson })],
  })
  const [, err] = await safe(dead.ok.query())
  expect(err).toMatchObject({ code: 'TRANSPORT_ERROR', status: 0, retry: { retryable: true } })
})

test('__proto__ keys in an envelope never pollute prototypes', async () => {
  const body =
    '{"error":{"code":-32004,"message":"m","data":{"code":"NOT_FOUND","httpStatus":404,"error":{"v":1,"code":"NOT_FOUND","status":404,"message":"m","retry":{"retryable":false},"data":{"__proto__":{"polluted":true},"nested":{"constructor":{"prototype":{"polluted":true}}}}}}}}'
  const local = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(body)
  })
  await new Promise<void>((r) => local.listen(0, '127.0.0.1', r))
  const address = local.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  const c = createTRPCClient<AppRouter>({
    links: [
      faultlineLink(),
      httpLink({ url: `http://127.0.0.1:${address.port}`, fetch: faultlineFetch(), transformer: plainJson }),
    ],
  })
  const [, err] = await safe(c.ok.query())
  await new Promise<void>((r) => local.close(() => r()))
  expect(err?.code).toBe('NOT_FOUND')
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  expect(Object.getPrototypeOf(err?.details)).toBe(Object.prototype)
  expect(Object.hasOwn(err?.details as object, '__proto__')).toBe(false)
  expect(err?.details).toEqual({ nested: {} })
})
