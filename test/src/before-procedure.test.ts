// Failures that happen before any procedure runs get the same envelope.
import { parseEnvelope } from '@faultline/contract'
import { createFaultline } from '@faultline/server'
import { initTRPC, type TRPCError } from '@trpc/server'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import { afterEach, expect, test } from 'vitest'
import { type Started, startApp } from './fixtures/app'
import { errors } from './fixtures/catalog'
import { listen } from './fixtures/listen'

let app: Started | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

async function send(url: string, init?: RequestInit) {
  const res = await fetch(url, init)
  const text = await res.text()
  const json = JSON.parse(text)
  const item = Array.isArray(json) ? json[0] : json
  const parsed = parseEnvelope(item?.error?.data?.error)
  if (!parsed.ok) throw new Error(`${parsed.reason}: ${text}`)
  return { status: res.status, headers: res.headers, text, envelope: parsed.envelope }
}

test('malformed JSON in a POST body answers BAD_REQUEST', async () => {
  app = await startApp({ expose: 'safe' })
  const res = await send(`${app.url}/user.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"email": "a@b.c", "name": ',
  })
  expect(res.status).toBe(400)
  expect(res.envelope).toMatchObject({ code: 'BAD_REQUEST', status: 400, message: 'Bad request' })
  expect(app.log.lines).toHaveLength(1)
})

test('malformed JSON in a query string answers BAD_REQUEST', async () => {
  app = await startApp()
  const res = await send(`${app.url}/user.byId?input=%7Bnot-json`)
  expect(res.status).toBe(400)
  expect(res.envelope.code).toBe('BAD_REQUEST')
})

test('an unknown procedure answers NOT_FOUND without echoing the path', async () => {
  app = await startApp({ expose: 'safe' })
  const res = await send(`${app.url}/admin.dropEverything`)
  expect(res.status).toBe(404)
  expect(res.envelope).toMatchObject({ code: 'NOT_FOUND', message: 'Not found' })
  expect(res.envelope.message).not.toContain('dropEverything')
})

test('the wrong method answers METHOD_NOT_SUPPORTED with Allow', async () => {
  app = await startApp()
  const res = await send(`${app.url}/user.create?input=${encodeURIComponent('{}')}`)
  expect(res.status).toBe(405)
  expect(res.envelope.code).toBe('METHOD_NOT_SUPPORTED')
  expect(res.headers.get('allow')).toBe('POST')
})

test('a createContext that throws a catalog error answers with it, request id included', async () => {
  app = await startApp({
    createContext: () => {
      throw errors.FORBIDDEN({ message: 'This API key is revoked' })
    },
  })
  const res = await send(`${app.url}/ok`, { headers: { 'x-request-id': 'ctx-fail-1' } })
  expect(res.status).toBe(403)
  expect(res.envelope).toMatchObject({ code: 'FORBIDDEN', message: 'This API key is revoked', requestId: 'ctx-fail-1' })
  expect(res.headers.get('x-request-id')).toBe('ctx-fail-1')
  expect(app.log.lines.map((l) => l.obj.requestId)).toEqual(['ctx-fail-1'])
})

test('a createContext that crashes answers INTERNAL and is logged with its stack', async () => {
  app = await startApp({
    expose: 'safe',
    createContext: () => {
      throw new Error('database pool exhausted: postgres://admin:hunter2@db')
    },
  })
  const res = await send(`${app.url}/ok`)
  expect(res.status).toBe(500)
  expect(res.envelope.code).toBe('INTERNAL')
  expect(res.text).not.toContain('hunter2')
  expect(app.log.lines).toHaveLength(1)
  expect(app.log.lines[0]).toMatchObject({ level: 'error', obj: { handled: false } })
  expect(app.log.lines[0]?.obj.error).toMatchObject({ message: expect.stringContaining('pool exhausted') })
})

test('a body over maxBodySize answers PAYLOAD_TOO_LARGE', async () => {
  app = await startApp({ maxBodySize: 1024 })
  const res = await send(`${app.url}/user.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'a@b.c', name: 'x'.repeat(10_000) }),
  })
  expect(res.status).toBe(413)
  expect(res.envelope.code).toBe('PAYLOAD_TOO_LARGE')
})

test("a context factory's error reaches onError wrapped as tRPC wraps it: the thrown value as cause, its stack kept", async () => {
  const seen: TRPCError[] = []
  const fl = createFaultline({ errors, logger: false, expose: 'safe' })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
  const shared = new Error('session store unreachable')
  function loadSession(): never {
    throw shared
  }
  const server = createHTTPServer({
    router: t.router({ ok: t.procedure.query(() => 'fine') }),
    createContext: fl.createContext(() => loadSession()),
    ...fl.adapter({ onError: ({ error }: { error: TRPCError }) => void seen.push(error) }),
  })
  const { url, close } = await listen(server)
  try {
    const first = await send(`${url}/ok`, { headers: { 'x-request-id': 'req-a' } })
    const second = await send(`${url}/ok`, { headers: { 'x-request-id': 'req-b' } })
    expect([first.envelope.requestId, second.envelope.requestId]).toEqual(['req-a', 'req-b'])
    expect(seen).toHaveLength(2)
    for (const error of seen) {
      expect(error.cause).toBe(shared)
      expect(error.stack).toBe(shared.stack)
    }
    // one object per request, so neither request answers for the other
    expect(seen[0]).not.toBe(seen[1])
  } finally {
    await close()
  }
})
