// One app on every tRPC adapter users deploy on, each held to the same assertions: request ids,
// status codes, error headers, redaction, and background tasks that start once the response has gone.
import { FaultlineClientError, isFaultlineError, safe } from '@faultline/client'
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest'
import type { AdapterUnderTest } from './fixtures/app'
import { expressAdapter } from './fixtures/express'
import { fastifyAdapter } from './fixtures/fastify'
import { nextAppRouter } from './fixtures/next-app-router'
import { standalone } from './fixtures/standalone'
import { wsAdapter } from './fixtures/ws'

const ADAPTERS = [
  ['standalone', standalone],
  ['express', expressAdapter],
  ['fastify', fastifyAdapter],
  ['fetch (Next.js App Router route)', nextAppRouter],
  ['ws', wsAdapter],
] as const

const GENERATED_ID = /^req_[0-9a-f]{32}$/

/** The rejection of a call, as the typed error it must be. */
async function failure(call: Promise<unknown>): Promise<FaultlineClientError> {
  const [, err] = await safe(call)
  if (!(err instanceof FaultlineClientError)) throw new Error(`expected a FaultlineClientError, got ${String(err)}`)
  return err
}

describe.each(ADAPTERS)('%s', (_name, start) => {
  let under: AdapterUnderTest
  beforeAll(async () => {
    under = await start()
  })
  beforeEach(() => {
    under.app.log.clear()
    under.app.runs.length = 0
  })
  afterAll(() => under.close())

  test('a catalog error arrives typed, with its status and the request id the caller sent', async () => {
    const err = await failure(under.client('adapter-404').missing.query({ id: 'u_9' }))
    if (!isFaultlineError(err, 'USER_NOT_FOUND')) throw new Error(`expected USER_NOT_FOUND, got ${err.code}`)
    expect(err.details).toEqual({ userId: 'u_9' })
    expect(err.status).toBe(404)
    expect(err.requestId).toBe('adapter-404')
    expect(under.app.log.lines.map((l) => [l.obj.code, l.obj.requestId])).toEqual([['USER_NOT_FOUND', 'adapter-404']])
  })

  test('RATE_LIMITED carries its status and retry delay', async () => {
    const err = await failure(under.client('adapter-429').limited.query())
    expect(err).toMatchObject({ code: 'RATE_LIMITED', status: 429, retry: { retryable: true, afterMs: 2_000 } })
  })

  test('a crash is a redacted INTERNAL, logged once with its stack under the request id', async () => {
    const err = await failure(under.client('adapter-500').crash.query())
    expect(err).toMatchObject({ code: 'INTERNAL', status: 500, message: 'Internal server error' })
    expect(JSON.stringify(err.shape)).not.toContain('SECRET')
    const errors = under.app.log.lines.filter((l) => l.level === 'error')
    expect(errors.map((l) => l.obj.requestId)).toEqual(['adapter-500'])
    expect(JSON.stringify(errors[0]?.obj.error)).toContain('password=SECRET')
  })

  test('a background task starts only once the response has gone, with the request id', async () => {
    const result = await under.client('adapter-task').order.mutate()
    expect(result.requestId).toBe('adapter-task')
    await vi.waitFor(() => expect(under.app.runs).toHaveLength(1))
    expect(under.app.runs).toEqual([{ requestId: 'adapter-task', responseGone: true }])
    await under.app.fl.tasks.drain()
    expect(await under.app.fl.tasks.status(result.taskId)).toMatchObject({ status: 'succeeded' })
  })
})

const HTTP_ADAPTERS = ADAPTERS.filter(([name]) => name !== 'ws')

describe.each(HTTP_ADAPTERS)('%s over HTTP', (_name, start) => {
  let under: AdapterUnderTest
  let http: NonNullable<AdapterUnderTest['http']>
  beforeAll(async () => {
    under = await start()
    if (!under.http) throw new Error('an HTTP adapter must answer raw HTTP calls')
    http = under.http
  })
  afterAll(() => under.close())

  const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`

  const GET = {}
  const POST = { method: 'POST', headers: { 'content-type': 'application/json' } }
  test.each([
    ['a declared error', `missing?${input({ id: 'u_1' })}`, GET, 404, 'USER_NOT_FOUND'],
    ['invalid input', `missing?${input({ id: 7 })}`, GET, 400, 'VALIDATION_FAILED'],
    ['an unknown procedure', 'nowhere', GET, 404, 'NOT_FOUND'],
    ['a query called with POST', 'missing', POST, 405, 'METHOD_NOT_SUPPORTED'],
    ['a rate limit', 'limited', GET, 429, 'RATE_LIMITED'],
    ['a crash', 'crash', GET, 500, 'INTERNAL'],
  ])('%s: the HTTP status is the envelope status', async (_what, path, init, status, code) => {
    const res = await http(path, init)
    expect(res.status).toBe(status)
    const body = (await res.json()) as { error: { data: { error: { code: string; status: number } } } }
    expect(body.error.data.error).toMatchObject({ code, status })
  })

  test('the incoming x-request-id is in the response header, on success and on failure', async () => {
    const ok = await http('hello', { headers: { 'x-request-id': 'edge-ok' } })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-request-id')).toBe('edge-ok')
    expect(await ok.json()).toMatchObject({ result: { data: { requestId: 'edge-ok' } } })
    const failed = await http('crash', { headers: { 'x-request-id': 'edge-crash' } })
    expect(failed.headers.get('x-request-id')).toBe('edge-crash')
  })

  test('without x-request-id (or with a hostile one) a fresh id is in the header and the envelope', async () => {
    for (const headers of [{}, { 'x-request-id': '<script>' }]) {
      const res = await http('limited', { headers })
      const id = res.headers.get('x-request-id')
      expect(id).toMatch(GENERATED_ID)
      const body = (await res.json()) as { error: { data: { error: { requestId: string } } } }
      expect(body.error.data.error.requestId).toBe(id)
    }
  })

  test("an error's headers reach the response: RATE_LIMITED sets Retry-After", async () => {
    const res = await http('limited')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('2')
    expect((await http('hello')).headers.get('retry-after')).toBeNull()
  })
})

test('fetch (Next.js App Router route): the task is handed to `after`, which settles once it has run', async () => {
  const under = await nextAppRouter()
  try {
    // handed over while the request is live: a platform may not take work once its response is out
    await under.client('next-after').order.mutate()
    expect(under.kept).toHaveLength(1)
    await Promise.all(under.kept ?? [])
    expect(under.app.runs).toEqual([{ requestId: 'next-after', responseGone: true }])
  } finally {
    await under.close()
  }
})

test('ws: a subscription and a mutation share the connection request id; its error ends the subscription typed', async () => {
  const under = await wsAdapter()
  try {
    const client = under.client('ws-conn')
    const seen: number[] = []
    const ended = new Promise<unknown>((resolve) => {
      client.countdown.subscribe({ from: 2 }, { onData: (n) => seen.push(n), onError: resolve })
    })
    const err = await ended
    if (!isFaultlineError(err, 'USER_NOT_FOUND')) throw new Error(`expected USER_NOT_FOUND, got ${String(err)}`)
    expect(seen).toEqual([2, 1])
    expect(err.details).toEqual({ userId: 'ws-conn' })
    expect(err.requestId).toBe('ws-conn')
    expect((await client.order.mutate()).requestId).toBe('ws-conn')
    await vi.waitFor(() => expect(under.app.runs).toEqual([{ requestId: 'ws-conn', responseGone: true }]))
  } finally {
    await under.close()
  }
})
