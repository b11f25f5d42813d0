// The example service, over real HTTP, logging through a real pino logger.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { faultlineLink, isFaultlineError } from '@faultline/client'
import { createApp } from '@faultline/example-api'
import type { AppRouter } from '@faultline/example-api/router'
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client'
import { EventSource } from 'eventsource'
import pino from 'pino'
import superjson from 'superjson'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { listen } from './fixtures/listen'

const lines: Record<string, unknown>[] = []
const sink = new Writable({
  write(chunk, _enc, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
    done()
  },
})

let url: string
let close: () => Promise<void>
beforeAll(async () => {
  const { server } = createApp({ logger: pino({ level: 'info' }, sink), expose: 'safe' })
  ;({ url, close } = await listen(server))
})
afterAll(() => close())
beforeEach(() => {
  lines.splice(0)
})

/** Places an order over raw HTTP and returns it. */
async function createOrder(input: { sku: string; quantity: number; email: string }) {
  const res = await fetch(`${url}/trpc/order.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(superjson.serialize(input)),
  })
  const body = (await res.json()) as { result: { data: never } }
  return superjson.deserialize<{ order: { id: string } }>(body.result.data).order
}

const query = (path: string, input: unknown) =>
  `${url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`

test('the built page is served at / with its assets; files outside it never are', async () => {
  const root = mkdtempSync(join(tmpdir(), 'faultline-web-'))
  mkdirSync(join(root, 'assets'))
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>')
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)')
  const page = await listen(createApp({ logger: false, webRoot: `${root}/` }).server)
  try {
    const index = await fetch(`${page.url}/`)
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await index.text()).toContain('<div id="root">')
    const asset = await fetch(`${page.url}/assets/app.js`)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const outside = await fetch(`${page.url}/..%2f..%2fetc%2fpasswd`)
    expect(outside.status).toBe(404)
    expect(outside.headers.get('content-type')).toBe('application/problem+json')
  } finally {
    await page.close()
  }
})

test('without a built page, / answers a page of links to each failure', async () => {
  const page = await listen(createApp({ logger: false, webRoot: join(tmpdir(), 'faultline-no-such-dir/') }).server)
  try {
    expect(await (await fetch(`${page.url}/`)).text()).toContain('Faultline example service')
  } finally {
    await page.close()
  }
})

test('a missing order answers ORDER_NOT_FOUND with typed data, logged once at info by pino', async () => {
  const res = await fetch(query('order.byId', { id: 'ord_nope' }))
  expect(res.status).toBe(404)
  const body = superjson.deserialize<{ data: { error: unknown } }>((await res.json()).error)
  expect(body.data.error).toMatchObject({ code: 'ORDER_NOT_FOUND', declared: true, data: { orderId: 'ord_nope' } })
  await new Promise((r) => setImmediate(r))
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({
    level: 30,
    code: 'ORDER_NOT_FOUND',
    handled: true,
    error: { type: 'FaultlineError' },
  })
})

test('the deliberate crash is answered generically and logged by pino with type and stack', async () => {
  const res = await fetch(`${url}/trpc/brokenReport`)
  expect(res.status).toBe(500)
  expect(await res.text()).not.toContain('rows')
  await new Promise((r) => setImmediate(r))
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({
    level: 50,
    handled: false,
    error: { type: 'TypeError', stack: expect.stringContaining('router.ts') },
  })
})

test('a gateway decline is mapped by its handler to PAYMENT_DECLINED with a help link', async () => {
  const order = await createOrder({ sku: 'sku-mug', quantity: 1, email: 'a@example.test' })
  const paid = await fetch(`${url}/trpc/order.pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(superjson.serialize({ id: order.id, card: '4242424242420000' })),
  })
  expect(paid.status).toBe(402)
  const error = superjson.deserialize<{ data: { error: unknown } }>((await paid.json()).error)
  expect(error.data.error).toMatchObject({
    code: 'PAYMENT_DECLINED',
    declared: true,
    data: { declineCode: 'insufficient_funds' },
    help: 'https://faultline.dev/errors/payment-declined',
  })
})

test('paths outside tRPC answer RFC 9457 problem+json', async () => {
  const res = await fetch(`${url}/no-such-page`, { headers: { 'x-request-id': 'p-1' } })
  expect(res.status).toBe(404)
  expect(res.headers.get('content-type')).toBe('application/problem+json')
  expect(await res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: '/no-such-page' })
})

test('the rate-limited procedure answers 429 with Retry-After after three calls', async () => {
  const statuses: number[] = []
  let retryAfter: string | null = null
  for (let i = 0; i < 4; i++) {
    const res = await fetch(query('stock', { sku: 'sku-tee' }))
    statuses.push(res.status)
    retryAfter = res.headers.get('retry-after')
  }
  expect(statuses).toEqual([200, 200, 200, 429])
  expect(Number(retryAfter)).toBeGreaterThan(0)
})

test('the deliberate output-validation bug is answered INTERNAL and logged as a server bug', async () => {
  const order = await createOrder({ sku: 'sku-mug', quantity: 2, email: 'b@example.test' })
  lines.splice(0)
  const res = await fetch(query('orderSummary', { id: order.id }))
  expect(res.status).toBe(500)
  expect(await res.text()).not.toContain('EUR')
  await new Promise((r) => setImmediate(r))
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatchObject({ level: 50, reason: expect.stringMatching(/^output validation failed/) })
  expect(lines[0]?.issues).toEqual([expect.objectContaining({ path: ['total'] })])
})

test('order updates stream the order until it is paid, and a missing order ends with ORDER_NOT_FOUND', async () => {
  const client = createTRPCClient<AppRouter>({
    links: [
      faultlineLink(),
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${url}/trpc`, transformer: superjson, EventSource }),
        false: httpLink({ url: `${url}/trpc`, transformer: superjson }),
      }),
    ],
  })
  const { order } = await client.order.create.mutate({ sku: 'sku-tee', quantity: 1, email: 'c@example.test' })
  const statuses: string[] = []
  const ended = new Promise<void>((resolve, reject) => {
    client.orderUpdates.subscribe(
      { id: order.id },
      {
        onData: (o) => {
          statuses.push(o.status)
          if (o.status === 'pending') void client.order.pay.mutate({ id: order.id, card: '4242424242424242' })
        },
        onComplete: () => resolve(),
        onError: reject,
      },
    )
  })
  await ended
  expect(statuses).toEqual(['pending', 'paid'])

  const failure = await new Promise<unknown>((resolve) => {
    client.orderUpdates.subscribe({ id: 'ord_gone' }, { onError: resolve, onComplete: () => resolve('completed') })
  })
  if (!isFaultlineError(failure, 'ORDER_NOT_FOUND')) throw new Error(`expected ORDER_NOT_FOUND, got ${String(failure)}`)
  expect(failure.details).toEqual({ orderId: 'ord_gone' })
})

test('the authenticated report: UNAUTHORIZED with WWW-Authenticate, FORBIDDEN for a customer, data for an admin', async () => {
  const anonymous = await fetch(`${url}/trpc/admin.report`)
  expect(anonymous.status).toBe(401)
  expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="faultline-example"')
  const customer = await fetch(`${url}/trpc/admin.report`, { headers: { authorization: 'Bearer customer-token' } })
  expect(customer.status).toBe(403)
  const forbidden = superjson.deserialize<{ data: { error: unknown } }>((await customer.json()).error)
  expect(forbidden.data.error).toMatchObject({ code: 'FORBIDDEN', declared: true })
  const admin = await fetch(`${url}/trpc/admin.report`, { headers: { authorization: 'Bearer admin-token' } })
  expect(admin.status).toBe(200)
})
