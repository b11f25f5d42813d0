// The typed client against a real server, over every HTTP link, with and without superjson.
import { FaultlineClientError, fieldErrors, isFaultlineError, match, safe } from '@faultline/client'
import { TRPCClientError } from '@trpc/client'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Started, startApp } from './fixtures/app'
import { clientFor, LINKS } from './fixtures/client'

describe.each([false, true])('superjson: %s', (useSuperjson) => {
  let app: Started
  beforeAll(async () => {
    app = await startApp({ superjson: useSuperjson })
  })
  afterAll(() => app.close())

  describe.each(LINKS)('%s', (kind) => {
    test('a success still resolves', async () => {
      const client = clientFor(app.url, kind, { superjson: useSuperjson })
      await expect(client.user.byId.query({ id: 'u_1' })).resolves.toEqual({ id: 'u_1', name: 'Ada' })
    })

    test('a declared error rehydrates as a typed FaultlineClientError that is also a TRPCClientError', async () => {
      const client = clientFor(app.url, kind, { superjson: useSuperjson })
      const [data, err] = await safe(client.user.byId.query({ id: 'u_9' }))
      expect(data).toBeUndefined()
      expect(err).toBeInstanceOf(FaultlineClientError)
      expect(err).toBeInstanceOf(TRPCClientError)
      if (!isFaultlineError(err, 'USER_NOT_FOUND')) throw new Error('expected USER_NOT_FOUND')
      expect(err.details.userId).toBe('u_9')
      expect(err.code).toBe('USER_NOT_FOUND')
      expect(err.message).toBe('User not found')
      expect(err.requestId).toMatch(/^req_/)
      // the stock tRPC fields keep their meaning
      expect(err.data?.httpStatus).toBe(404)
      expect(err.shape?.data.code).toBe('NOT_FOUND')
      // a batch stream answers 200 up front; each item carries its own status
      expect(err.status).toBe(404)
    })

    test('validation issues become field errors', async () => {
      const client = clientFor(app.url, kind, { superjson: useSuperjson })
      const [, err] = await safe(client.user.create.mutate({ email: 'x', name: 'A' }))
      expect(err?.code).toBe('VALIDATION_FAILED')
      expect(Object.keys(fieldErrors(err)).sort()).toEqual(['email', 'name'])
      expect(fieldErrors(err).email?.[0]).toMatch(/email/i)
    })

    test('match dispatches on the code', async () => {
      const client = clientFor(app.url, kind, { superjson: useSuperjson })
      const [, err] = await safe(client.rateLimited.query())
      if (!err) throw new Error('expected an error')
      const text = match(err, {
        RATE_LIMITED: (e) => `wait ${e.retry.afterMs}ms`,
        _: (e) => `other ${e.code}`,
      })
      expect(text).toBe('wait 2000ms')
    })

    test('an unexpected crash arrives as INTERNAL with a generic message', async () => {
      const client = clientFor(app.url, kind, { superjson: useSuperjson })
      const [, err] = await safe(client.crash.query())
      expect(err).toMatchObject({ code: 'INTERNAL', status: 500, message: 'Internal server error' })
    })

    test('Dates and Maps in error data survive the round trip', async () => {
      const client = clientFor(app.url, kind, { superjson: useSuperjson })
      const [, err] = await safe(client.audit.query())
      if (!isFaultlineError(err, 'AUDIT_FAILED')) throw new Error(`expected AUDIT_FAILED, got ${err?.code}`)
      if (useSuperjson) {
        expect(err.details.at).toBeInstanceOf(Date)
        expect(err.details.at.toISOString()).toBe('2026-01-02T03:04:05.000Z')
        expect(err.details.tags).toBeInstanceOf(Map)
        expect(err.details.tags.get('a')).toBe(1)
      } else {
        // without a transformer JSON cannot carry a Map: the server still answers with its envelope
        expect(err.details).toMatchObject({ at: '2026-01-02T03:04:05.000Z' })
      }
    })
  })

  test('a mixed batch over httpBatchLink is answered 207, each call with its own status', async () => {
    const qs = `batch=1&input=${encodeURIComponent(JSON.stringify({ 0: useSuperjson ? { json: { id: 'u_1' } } : { id: 'u_1' }, 1: useSuperjson ? { json: { id: 'zz' } } : { id: 'zz' } }))}`
    const res = await fetch(`${app.url}/user.byId,user.byId?${qs}`)
    expect(res.status).toBe(207)
    const body = (await res.json()) as { error?: { json?: any; data?: any } }[]
    const second = useSuperjson ? body[1]?.error?.json : body[1]?.error
    expect(second.data.error).toMatchObject({ code: 'USER_NOT_FOUND', status: 404 })

    const client = clientFor(app.url, 'httpBatchLink', { superjson: useSuperjson })
    const [found, missing, crashed] = await Promise.all([
      safe(client.user.byId.query({ id: 'u_1' })),
      safe(client.user.byId.query({ id: 'zz' })),
      safe(client.crash.query()),
    ])
    expect(found).toEqual([{ id: 'u_1', name: 'Ada' }, undefined])
    expect([missing[1]?.code, missing[1]?.status]).toEqual(['USER_NOT_FOUND', 404])
    expect([crashed[1]?.code, crashed[1]?.status]).toEqual(['INTERNAL', 500])
  })
})
