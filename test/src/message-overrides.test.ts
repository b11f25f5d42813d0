// What an app says on purpose reaches the client through a real tRPC client: a validation
// override keeps the form's issues, and a TRPCError thrown with a message keeps it.
import { FaultlineClientError, fieldErrors, safe } from '@faultline/client'
import { afterEach, describe, expect, test } from 'vitest'
import { type Started, startApp } from './fixtures/app'
import { errors } from './fixtures/catalog'
import { clientFor, LINKS } from './fixtures/client'

let app: Started | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

describe.each(LINKS)('over %s', (link) => {
  test('a validation.map that overrides the message keeps the issues and their pointers', async () => {
    app = await startApp({
      validation: { status: 422, map: () => errors.VALIDATION_FAILED({ message: 'Please check the form' }) },
    })
    const client = clientFor(app.url, link)
    const [, err] = await safe(client.user.create.mutate({ email: 'not-an-email', name: 'A' }))
    expect(err).toBeInstanceOf(FaultlineClientError)
    expect(err?.code).toBe('VALIDATION_FAILED')
    expect(err?.message).toBe('Please check the form')
    expect(err?.status).toBe(422)
    expect(err?.issues.map((i) => i.pointer).sort()).toEqual(['/email', '/name'])
    expect(Object.keys(fieldErrors(err)).sort()).toEqual(['email', 'name'])
  })

  test('a 4xx TRPCError thrown on purpose arrives with its own message, in safe exposure', async () => {
    app = await startApp({ expose: 'safe' })
    const [, err] = await safe(clientFor(app.url, link).trpcNotFound.query())
    expect(err?.code).toBe('NOT_FOUND')
    expect(err?.status).toBe(404)
    expect(err?.message).toBe('Order 7 of user secret@example.test not found')
  })

  test("trpcMessages: 'redact' sends the catalog's message instead", async () => {
    app = await startApp({ expose: 'safe', trpcMessages: 'redact' })
    const [, err] = await safe(clientFor(app.url, link).trpcNotFound.query())
    expect(err?.code).toBe('NOT_FOUND')
    expect(err?.message).toBe('Not found')
  })

  test('a 5xx TRPCError stays redacted in safe exposure', async () => {
    app = await startApp({ expose: 'safe' })
    const [, err] = await safe(clientFor(app.url, link).trpcUnavailable.query())
    expect(err?.code).toBe('UNAVAILABLE')
    expect(err?.message).toBe('Service unavailable')
  })
})
