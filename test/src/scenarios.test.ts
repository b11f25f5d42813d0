// The failures that motivated Faultline (FastAPI's error-handling docs and the
// centralized-handler post), each answered over real HTTP.
import { parseEnvelope } from '@faultline/contract'
import { afterEach, describe, expect, test } from 'vitest'
import { type Started, startApp } from './fixtures/app'
import { rawMutation, rawQuery } from './fixtures/http'

let app: Started | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

function envelopeOf(json: { error?: { data?: { error?: unknown } } }) {
  const parsed = parseEnvelope(json.error?.data?.error)
  if (!parsed.ok) throw new Error(`not an envelope: ${parsed.reason}`)
  return parsed.envelope
}

describe('scenarios', () => {
  test('a domain exception mapped by a registered handler answers 400 with its message', async () => {
    app = await startApp()
    const res = await rawMutation(app.url, 'withdraw', { amount: 100 })
    expect(res.status).toBe(400)
    const env = envelopeOf(res.json)
    expect(env).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      status: 400,
      message: 'Balance 99 is too low',
      data: { balance: 99 },
    })
    expect(app.log.lines).toHaveLength(1)
    expect(app.log.lines[0]).toMatchObject({ level: 'info', obj: { code: 'INSUFFICIENT_FUNDS', handled: true } })
    expect(app.log.lines[0]?.obj.error).not.toHaveProperty('stack')
  })

  test('an unexpected crash answers 500 with a generic message in production, full detail in the log', async () => {
    app = await startApp({ expose: 'safe' })
    const res = await rawQuery(app.url, 'crash')
    expect(res.status).toBe(500)
    const env = envelopeOf(res.json)
    expect(env).toMatchObject({ code: 'INTERNAL', status: 500, message: 'Internal server error' })
    expect(env.debug).toBeUndefined()
    expect(res.text).not.toMatch(/null|owner|properties|stack|at /)
    expect(app.log.lines).toHaveLength(1)
    const line = app.log.lines[0]
    expect(line?.level).toBe('error')
    expect(line?.obj).toMatchObject({ code: 'INTERNAL', handled: false, path: 'crash' })
    const err = line?.obj.error as { type: string; message: string; stack: string }
    expect(err.type).toBe('TypeError')
    expect(err.message).toContain("reading 'owner'")
    expect(err.stack).toContain('app.ts')
  })

  test('an unexpected error never leaks its raw message (SQL, paths) in safe exposure', async () => {
    app = await startApp({ expose: 'safe' })
    const res = await rawQuery(app.url, 'sqlLeak')
    expect(res.status).toBe(500)
    expect(res.text).not.toContain('secret_users_table')
    expect(res.text).not.toContain('/srv/app')
    expect(res.json.error.message).toBe('Internal server error')
  })

  test('debug exposure adds the original message, stack and input under debug', async () => {
    app = await startApp({ expose: 'debug' })
    const res = await rawQuery(app.url, 'crash')
    const env = envelopeOf(res.json)
    expect(env.message).toBe('Internal server error')
    expect(env.debug?.message).toContain("reading 'owner'")
    expect(env.debug?.stack).toContain('TypeError')
  })

  test('a not-found raised with a detail carries typed data', async () => {
    app = await startApp()
    const res = await rawQuery(app.url, 'user.byId', { id: 'u_404' })
    expect(res.status).toBe(404)
    expect(envelopeOf(res.json)).toMatchObject({ code: 'USER_NOT_FOUND', data: { userId: 'u_404' } })
    expect(res.json.error.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, path: 'user.byId' })
  })

  test('a 401 carries WWW-Authenticate', async () => {
    app = await startApp()
    const res = await rawQuery(app.url, 'me')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="faultline"')
    expect(envelopeOf(res.json).code).toBe('UNAUTHORIZED')
    const ok = await rawQuery(app.url, 'me', undefined, { authorization: 'Bearer admin' })
    expect(ok.status).toBe(200)
  })

  test('a custom exception class answers 418 with a custom message', async () => {
    app = await startApp()
    const res = await rawQuery(app.url, 'unicorn', { name: 'yolo' })
    expect(res.status).toBe(418)
    expect(envelopeOf(res.json)).toMatchObject({
      code: 'TEAPOT',
      status: 418,
      message: 'Oops! yolo did something. There goes a rainbow...',
      data: { name: 'yolo' },
    })
    // stock tRPC clients still get a sensible code for a status tRPC has no key for
    expect(res.json.error.data.code).toBe('BAD_REQUEST')
  })

  test.each([
    [undefined, 400, 'BAD_REQUEST'],
    [{ status: 400 }, 400, 'BAD_REQUEST'],
    [{ status: 422 }, 422, 'UNPROCESSABLE_CONTENT'],
  ])('validation with options %j answers %i', async (validation, status, trpcCode) => {
    app = await startApp(validation ? { validation } : {})
    const res = await rawMutation(app.url, 'user.create', { email: 'nope', name: 'A' })
    expect(res.status).toBe(status)
    expect(res.json.error.data.code).toBe(trpcCode)
    const env = envelopeOf(res.json)
    expect(env.code).toBe('VALIDATION_FAILED')
    expect(env.status).toBe(status)
    expect(env.issues?.map((i) => i.pointer).sort()).toEqual(['/email', '/name'])
    expect(env.message).toMatch(/^Validation failed: /)
    expect(env.message).not.toContain('[')
  })

  test('an output-validation bug answers 500 and is logged as a server bug with its issues, no stacks', async () => {
    app = await startApp({ expose: 'safe' })
    const res = await rawQuery(app.url, 'badOutput')
    expect(res.status).toBe(500)
    expect(envelopeOf(res.json)).toMatchObject({ code: 'INTERNAL', message: 'Internal server error' })
    expect(res.text).not.toContain('invalid_type')
    expect(app.log.lines).toHaveLength(1)
    expect(app.log.lines[0]).toMatchObject({ level: 'error', obj: { handled: false, path: 'badOutput' } })
    expect(app.log.lines[0]?.obj.reason).toMatch(/output validation failed/)
    expect(app.log.lines[0]?.obj.issues).toEqual([expect.objectContaining({ path: ['id'], code: 'invalid_type' })])
    // thrown inside tRPC after the procedure returned: no frame of the app's to show
    const error = app.log.lines[0]?.obj.error as { stack?: string; cause?: { stack?: string }[] } | undefined
    expect(error).toBeDefined()
    expect(error?.stack).toBeUndefined()
    expect(error?.cause?.map((c) => c.stack)).toEqual([undefined])
  })

  test('error data that breaks its schema is a server bug: INTERNAL to the client, issues in the log', async () => {
    app = await startApp({ expose: 'safe' })
    const res = await rawQuery(app.url, 'badData')
    expect(res.status).toBe(500)
    expect(envelopeOf(res.json).code).toBe('INTERNAL')
    expect(app.log.lines[0]?.obj.reason).toMatch(
      /errors\.USER_NOT_FOUND data failed its schema: Validation failed: userId/,
    )
    // thrown by the app's code: its stack is logged
    expect((app.log.lines[0]?.obj.error as { stack?: string } | undefined)?.stack).toMatch(/\n\s+at /)
  })

  test('RATE_LIMITED sets Retry-After and the retry hint', async () => {
    app = await startApp()
    const res = await rawQuery(app.url, 'rateLimited')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('2')
    expect(envelopeOf(res.json).retry).toEqual({ retryable: true, afterMs: 2000 })
  })

  test('a help URL and retryable flag from the catalog reach the envelope', async () => {
    app = await startApp()
    const res = await rawMutation(app.url, 'pay', undefined)
    expect(res.status).toBe(402)
    expect(res.json.error.data.code).toBe('PAYMENT_REQUIRED')
    expect(envelopeOf(res.json)).toMatchObject({
      help: 'https://example.test/errors/payment-declined',
      retry: { retryable: false },
    })
  })

  test('a 4xx TRPCError thrown on purpose keeps its code and its message, in safe exposure too', async () => {
    app = await startApp({ expose: 'safe' })
    const res = await rawQuery(app.url, 'trpcNotFound')
    expect(res.status).toBe(404)
    expect(envelopeOf(res.json)).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Order 7 of user secret@example.test not found',
    })
  })

  test("a 5xx TRPCError, and a 4xx one whose message is its cause's, say the catalog's message", async () => {
    app = await startApp({ expose: 'safe' })
    const unavailable = await rawQuery(app.url, 'trpcUnavailable')
    expect(envelopeOf(unavailable.json)).toMatchObject({ code: 'UNAVAILABLE', message: 'Service unavailable' })
    expect(unavailable.text).not.toContain('db-7.internal')
    const wrapped = await rawQuery(app.url, 'trpcWrapped')
    expect(envelopeOf(wrapped.json)).toMatchObject({ code: 'BAD_REQUEST', message: 'Bad request' })
    expect(wrapped.text).not.toContain('users.ssn')
  })

  test("trpcMessages: 'redact' sends the catalog's message for every TRPCError", async () => {
    app = await startApp({ expose: 'debug', trpcMessages: 'redact' })
    const res = await rawQuery(app.url, 'trpcNotFound')
    expect(res.status).toBe(404)
    expect(envelopeOf(res.json)).toMatchObject({ code: 'NOT_FOUND', message: 'Not found' })
    expect(envelopeOf(res.json).debug?.message).toBe('Order 7 of user secret@example.test not found')
  })

  test('report is called once per failure, telling a crash from an expected error', async () => {
    app = await startApp()
    await rawQuery(app.url, 'user.byId', { id: 'nobody' })
    await rawQuery(app.url, 'crash')
    expect(app.reports.map((r) => [r.code, r.handled, r.path, r.status])).toEqual([
      ['USER_NOT_FOUND', true, 'user.byId', 404],
      ['INTERNAL', false, 'crash', 500],
    ])
    expect(app.reports[1]?.error).toBeInstanceOf(TypeError)
    expect(app.reports.every((r) => typeof r.requestId === 'string')).toBe(true)
  })
})
