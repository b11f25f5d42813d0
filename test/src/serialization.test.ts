import { isFaultlineError, safe } from '@faultline/client'
import { afterEach, expect, test } from 'vitest'
import { type Started, startApp } from './fixtures/app'
import { clientFor } from './fixtures/client'
import { rawQuery } from './fixtures/http'

let app: Started | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

test('data that the wire format cannot carry degrades to INTERNAL and the failure is logged once', async () => {
  app = await startApp({ expose: 'safe' })
  const res = await rawQuery(app.url, 'quota')
  expect(res.status).toBe(500)
  expect(res.json.error.data.error).toMatchObject({ code: 'INTERNAL', status: 500 })
  expect(app.log.lines).toHaveLength(1)
  expect(app.log.lines[0]).toMatchObject({ level: 'error', obj: { code: 'INTERNAL', handled: false } })
  expect(app.log.lines[0]?.obj.reason).toMatch(/data of QUOTA_EXCEEDED cannot be serialized.*BigInt/)
})

test('with superjson the same BigInt data arrives intact and typed', async () => {
  app = await startApp({ superjson: true })
  const client = clientFor(app.url, 'httpLink', { superjson: true })
  const [, err] = await safe(client.quota.query())
  if (!isFaultlineError(err, 'QUOTA_EXCEEDED')) throw new Error(`expected QUOTA_EXCEEDED, got ${err?.code}`)
  expect(err.details.limit).toBe(10n ** 20n)
  expect(err.status).toBe(403)
})
