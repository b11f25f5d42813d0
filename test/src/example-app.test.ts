// The example service, over real HTTP, logging through a real pino logger.
import { Writable } from 'node:stream'
import { createApp } from '@faultline/example-api'
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

const query = (path: string, input: unknown) =>
  `${url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`

test('the landing page is served at /', async () => {
  const res = await fetch(`${url}/`)
  expect(res.status).toBe(200)
  expect(await res.text()).toContain('Faultline example service')
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
  const created = await fetch(`${url}/trpc/order.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(superjson.serialize({ sku: 'sku-mug', quantity: 1, email: 'a@example.test' })),
  })
  const { order } = superjson.deserialize<{ order: { id: string } }>(
    ((await created.json()) as { result: { data: never } }).result.data,
  )
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
