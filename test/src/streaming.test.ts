// Errors inside streamed results (httpBatchStreamLink): tRPC sends the status
// and headers before any result exists, so those travel only in the envelope.
import { FaultlineClientError } from '@faultline/client'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Started, startApp } from './fixtures/app'
import { clientFor } from './fixtures/client'

let app: Started
beforeAll(async () => {
  app = await startApp()
})
afterAll(() => app.close())

test('a deferred part that rejects is logged and reported exactly once, and rehydrates with from()', async () => {
  const client = clientFor(app.url, 'httpBatchStreamLink')
  const result = await client.deferred.query()
  expect(result.now).toBe('ready')
  const rejection: unknown = await result.later.catch((e: unknown) => e)
  const err = FaultlineClientError.from(rejection)
  expect(err).toMatchObject({ code: 'USER_NOT_FOUND', details: { userId: 'later' }, status: 404 })
  await new Promise((r) => setTimeout(r, 10))
  expect(app.log.lines).toHaveLength(1)
  expect(app.reports).toHaveLength(1)
  expect(app.log.lines[0]?.obj).toMatchObject({ code: 'USER_NOT_FOUND', path: 'deferred' })
})
