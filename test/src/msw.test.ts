// The testing kit: msw mocks answered by the app's own router config,
// validators, declarations and Faultline formatter, over every link.
import { isFaultlineError, safe } from '@faultline/client'
import { createFaultlineMsw } from '@faultline/msw'
import '@faultline/msw/vitest'
import { setupServer } from 'msw/node'
import superjson from 'superjson'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { buildApp } from './fixtures/app'
import { errors } from './fixtures/catalog'
import { clientFor, LINKS } from './fixtures/client'

const URL = 'http://api.mocked.test/trpc'

describe.each([false, true])('superjson: %s', (useSuperjson) => {
  const app = buildApp({ superjson: useSuperjson, expose: 'safe' })
  const kit = createFaultlineMsw({ router: app.router, faultline: app.fl, url: URL })
  const server = setupServer(...kit.handlers)
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterEach(() => kit.reset())
  afterAll(() => server.close())

  describe.each(LINKS)('%s', (kind) => {
    const client = clientFor(URL, kind, { superjson: useSuperjson })

    test('a mocked query answers with its data', async () => {
      kit.mock.user.byId.query(({ input }) => ({ id: input.id, name: 'Mocked Ada' }))
      await expect(client.user.byId.query({ id: 'u_7' })).resolves.toEqual({ id: 'u_7', name: 'Mocked Ada' })
      kit.assertAllMocked()
    })

    test('a mocked catalog error arrives typed, with its data', async () => {
      kit.mock.user.byId.query(errors.USER_NOT_FOUND({ userId: 'u_404' }))
      await expect(client.user.byId.query({ id: 'u_404' })).rejects.toBeFaultlineError('USER_NOT_FOUND', {
        userId: 'u_404',
      })
    })

    test("a mutation's input is validated by the app's own schema: field errors, before the mock runs", async () => {
      let ran = false
      kit.mock.user.create.mutation(({ input }) => {
        ran = true
        return { id: 'u_2', ...input }
      })
      await expect(client.user.create.mutate({ email: 'nope', name: 'A' })).rejects.toHaveFieldError('email')
      expect(ran).toBe(false)
    })

    test('rich data survives when the app uses superjson', async () => {
      kit.mock.audit.query(errors.AUDIT_FAILED({ at: new Date('2026-01-01T00:00:00Z'), tags: new Map([['x', 1]]) }))
      const [, err] = await safe(client.audit.query())
      if (!isFaultlineError(err, 'AUDIT_FAILED')) throw new Error('expected AUDIT_FAILED')
      expect(err.details.at instanceof Date).toBe(useSuperjson)
    })
  })

  test('several procedures in one batch, answered 207 when their statuses differ', async () => {
    kit.mock.user.byId.query(({ input }) => ({ id: input.id, name: 'Ada' }))
    kit.mock.rateLimited.query(errors.RATE_LIMITED({ retryAfterMs: 3000 }))
    const wrap = (v: unknown) => (useSuperjson ? superjson.serialize(v) : v)
    const input = encodeURIComponent(JSON.stringify({ 0: wrap({ id: 'u_1' }), 1: wrap(undefined) }))
    const res = await fetch(`${URL}/user.byId,rateLimited?batch=1&input=${input}`)
    expect(res.status).toBe(207)
    expect(res.headers.get('retry-after')).toBe('3')
    const client = clientFor(URL, 'httpBatchLink', { superjson: useSuperjson })
    const [user, limited] = await Promise.all([
      safe(client.user.byId.query({ id: 'u_1' })),
      safe(client.rateLimited.query()),
    ])
    expect(user[0]).toEqual({ id: 'u_1', name: 'Ada' })
    expect(limited[1]).toBeRetryable(3000)
  })

  test('a call to a procedure without a mock is answered as INTERNAL and named by assertAllMocked', async () => {
    const client = clientFor(URL, 'httpLink', { superjson: useSuperjson })
    await expect(client.crash.query()).rejects.toBeFaultlineError('INTERNAL')
    expect(kit.unmockedCalls()).toEqual(['crash'])
    expect(() => kit.assertAllMocked()).toThrow('tRPC procedure(s) called without a mock: crash')
  })
})

describe('mocking mistakes are refused with a clear message', () => {
  const app = buildApp()
  const kit = createFaultlineMsw({ router: app.router, faultline: app.fl, url: URL })

  test('the wrong kind of procedure', () => {
    expect(() => (kit.mock.user.byId as unknown as { mutation(f: unknown): void }).mutation(() => 1)).toThrow(
      '"user.byId" is a query; mock it with .query(…)',
    )
  })

  test('a path the router does not have', () => {
    expect(() => (kit.mock as unknown as { nope: { query(f: unknown): void } }).nope.query(() => 1)).toThrow(
      'the router has no procedure "nope"',
    )
  })

  test('a mock that is neither a function nor an error', () => {
    expect(() => kit.mock.user.byId.query({ id: 'x', name: 'y' } as never)).toThrow(
      /with a function returning its data/,
    )
  })
})

describe('matchers say what they expected and what they received', () => {
  const app = buildApp()
  const kit = createFaultlineMsw({ router: app.router, faultline: app.fl, url: URL })
  const server = setupServer(...kit.handlers)
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
  afterAll(() => server.close())

  test('a wrong code shows the expected code and the received envelope', async () => {
    kit.mock.user.byId.query(errors.USER_NOT_FOUND({ userId: 'u' }))
    const [, err] = await safe(clientFor(URL, 'httpLink').user.byId.query({ id: 'u' }))
    expect(() => expect(err).toBeFaultlineError('EMAIL_TAKEN')).toThrow(
      /EMAIL_TAKEN[\s\S]*received envelope[\s\S]*USER_NOT_FOUND/,
    )
    expect(() => expect(err).toBeFaultlineError('USER_NOT_FOUND', { userId: 'other' })).toThrow(/userId/)
    expect(() => expect(err).not.toBeFaultlineError('USER_NOT_FOUND')).toThrow(/expected not a Faultline error/)
    expect(() => expect(err).toHaveFieldError('email')).toThrow(/field error[\s\S]*email/)
    expect(() => expect(new TypeError('boom')).toBeFaultlineError('X')).toThrow(
      /TypeError: boom \(not a tRPC client error\)/,
    )
  })
})
