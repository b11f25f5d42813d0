import { createTRPCClient, httpLink } from '@trpc/client'
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest'
import { plainJson, type Started, startApp } from './fixtures/app'
import { rawQuery } from './fixtures/http'

let app: Started
beforeAll(async () => {
  app = await startApp()
})
beforeEach(() => {
  app.log.clear()
})
afterAll(() => app.close())

test('a safe incoming x-request-id is used in the envelope, the response header and the log line', async () => {
  const res = await rawQuery(app.url, 'user.byId', { id: 'x' }, { 'x-request-id': 'trace-abc.123' })
  expect(res.headers.get('x-request-id')).toBe('trace-abc.123')
  expect(res.json.error.data.error.requestId).toBe('trace-abc.123')
  expect(app.log.lines.map((l) => l.obj.requestId)).toEqual(['trace-abc.123'])
})

test('without the header a fresh id is generated and used everywhere', async () => {
  const res = await rawQuery(app.url, 'user.byId', { id: 'x' })
  const id = res.headers.get('x-request-id')
  expect(id).toMatch(/^req_[0-9a-f]{32}$/)
  expect(res.json.error.data.error.requestId).toBe(id)
  expect(app.log.lines[0]?.obj.requestId).toBe(id)
})

test('successful responses carry the request id header too', async () => {
  const res = await rawQuery(app.url, 'ok', undefined, { 'x-request-id': 'ok-1' })
  expect(res.status).toBe(200)
  expect(res.headers.get('x-request-id')).toBe('ok-1')
})

test.each([
  ['too long', 'a'.repeat(200)],
  ['Latin-1', 'idé'],
  ['spaces and quotes', 'a b"c'],
  ['markup', '<script>alert(1)</script>'],
])('an unsafe incoming id (%s) is replaced, never echoed', async (_label, hostile) => {
  // CRLF cannot even be sent by fetch; the server-side check of it is unit-tested
  const res = await rawQuery(app.url, 'user.byId', { id: 'x' }, { 'x-request-id': hostile })
  const id = res.headers.get('x-request-id')
  expect(id).toMatch(/^req_[0-9a-f]{32}$/)
  expect(res.json.error.data.error.requestId).toBe(id)
  expect(res.text).not.toContain(hostile)
})

test('a request that fails before its context exists still gets the incoming id (via onError)', async () => {
  const res = await rawQuery(app.url, 'no.such.path', undefined, { 'x-request-id': 'early-1' })
  expect(res.status).toBe(404)
  expect(res.headers.get('x-request-id')).toBe('early-1')
  expect(res.json.error.data.error.requestId).toBe('early-1')
})

test('a stock tRPC client without Faultline still reads a sensible error', async () => {
  const client = createTRPCClient<typeof app.router>({ links: [httpLink({ url: app.url, transformer: plainJson })] })
  const err = await client.user.byId.query({ id: 'x' }).catch((e: unknown) => e)
  expect(err).toMatchObject({ message: 'User not found', data: { code: 'NOT_FOUND', httpStatus: 404 } })
})
