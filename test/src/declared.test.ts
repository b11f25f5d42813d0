// Per-procedure declarations at runtime: the server checks every error against
// the procedure's declaration and never trusts the thrower.
import { faultlineLink, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import { afterEach, describe, expect, test } from 'vitest'
import { plainJson } from './fixtures/app'
import { type DeclaredRouter, startDeclaredApp } from './fixtures/declared-app'
import { rawMutation, rawQuery } from './fixtures/http'

type Started = Awaited<ReturnType<typeof startDeclaredApp>>
let app: Started | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

const envelope = (res: { json: { error?: { data?: { error?: Record<string, unknown> } } } }) =>
  res.json.error?.data?.error

describe('declared errors', () => {
  test('a declared code with valid data is sent with declared: true, logged once at info', async () => {
    app = await startDeclaredApp()
    const res = await rawQuery(app.url, 'users.byId', { id: 'u_9' })
    expect(res.status).toBe(404)
    expect(envelope(res)).toMatchObject({ code: 'USER_NOT_FOUND', declared: true, data: { userId: 'u_9' } })
    expect(app.log.lines).toHaveLength(1)
    expect(app.log.lines[0]).toMatchObject({ level: 'info', obj: { code: 'USER_NOT_FOUND' } })
    expect(app.log.lines[0]?.obj).not.toHaveProperty('contractViolation')
  })

  test('an undeclared code is still sent, with declared: false, and logged once as a contract violation', async () => {
    app = await startDeclaredApp()
    const res = await rawQuery(app.url, 'users.byId', { id: 'taken' })
    expect(res.status).toBe(409)
    expect(envelope(res)).toMatchObject({ code: 'EMAIL_TAKEN', declared: false })
    expect(app.log.lines).toHaveLength(1)
    expect(app.log.lines[0]).toMatchObject({
      level: 'warn',
      obj: { code: 'EMAIL_TAKEN', contractViolation: true, reason: 'EMAIL_TAKEN is not declared by users.byId' },
    })
    expect(app.reports).toHaveLength(1)
  })

  test('strict turns an undeclared code into INTERNAL', async () => {
    app = await startDeclaredApp({ strict: true })
    const res = await rawQuery(app.url, 'users.byId', { id: 'taken' })
    expect(res.status).toBe(500)
    expect(envelope(res)).toMatchObject({ code: 'INTERNAL', message: 'Internal server error' })
    expect(envelope(res)).not.toHaveProperty('declared')
    expect(res.text).not.toContain('EMAIL_TAKEN')
    expect(app.log.lines).toHaveLength(1)
    expect(app.log.lines[0]).toMatchObject({
      level: 'error',
      obj: { code: 'INTERNAL', reason: 'contract violation: EMAIL_TAKEN is not declared by users.byId' },
    })
  })

  test('a declared code whose data fails its schema is a server bug: INTERNAL, issues logged', async () => {
    app = await startDeclaredApp()
    const res = await rawQuery(app.url, 'users.byId', { id: 'bad-data' })
    expect(res.status).toBe(500)
    expect(envelope(res)).toMatchObject({ code: 'INTERNAL' })
    expect(res.text).not.toContain('userId')
    expect(app.log.lines[0]?.obj.issues).toEqual([expect.objectContaining({ path: ['userId'] })])
  })

  test('codes every procedure may send (validation, crashes) carry no declared flag and are no violation', async () => {
    app = await startDeclaredApp()
    const invalid = await rawQuery(app.url, 'users.byId', { id: 1 })
    expect(envelope(invalid)).toMatchObject({ code: 'VALIDATION_FAILED' })
    expect(envelope(invalid)).not.toHaveProperty('declared')
    const crash = await rawQuery(app.url, 'crash')
    expect(envelope(crash)).toMatchObject({ code: 'INTERNAL' })
    expect(envelope(crash)).not.toHaveProperty('declared')
    expect(app.log.lines.some((l) => l.obj.contractViolation)).toBe(false)
  })

  test("a base procedure's declaration covers its middleware and every procedure built on it", async () => {
    app = await startDeclaredApp()
    const anonymous = await rawQuery(app.url, 'users.me')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
    expect(envelope(anonymous)).toMatchObject({ code: 'UNAUTHORIZED', declared: true })
    const customer = await rawQuery(app.url, 'users.me', undefined, { 'x-role': 'customer' })
    expect(envelope(customer)).toMatchObject({ code: 'FORBIDDEN', declared: true })
    const admin = await rawQuery(app.url, 'users.me', undefined, { 'x-role': 'admin' })
    expect(envelope(admin)).toMatchObject({ code: 'USER_NOT_FOUND', declared: true })
    expect(app.log.lines.some((l) => l.obj.contractViolation)).toBe(false)
  })

  test('a concatenated piece brings its declaration', async () => {
    app = await startDeclaredApp()
    const res = await rawQuery(app.url, 'users.search', { q: 'flood' })
    expect(res.status).toBe(429)
    expect(envelope(res)).toMatchObject({ code: 'RATE_LIMITED', declared: true })
  })

  test('mutations and merged routers check declarations too', async () => {
    app = await startDeclaredApp()
    const created = await rawMutation(app.url, 'users.create', { email: 'ada@example.test' })
    expect(envelope(created)).toMatchObject({ code: 'EMAIL_TAKEN', declared: true })
    const merged = await rawQuery(app.url, 'teapot')
    expect(merged.status).toBe(418)
    expect(envelope(merged)).toMatchObject({ code: 'TEAPOT', declared: true })
  })

  test('declaring nothing makes every catalog code a violation', async () => {
    app = await startDeclaredApp()
    const res = await rawQuery(app.url, 'ping')
    expect(envelope(res)).toMatchObject({ code: 'TEAPOT', declared: false })
  })

  test('a procedure with no declaration at all sends any catalog code without a verdict', async () => {
    app = await startDeclaredApp()
    const res = await rawQuery(app.url, 'legacy')
    expect(envelope(res)).toMatchObject({ code: 'EMAIL_TAKEN' })
    expect(envelope(res)).not.toHaveProperty('declared')
    expect(app.log.lines[0]).toMatchObject({ level: 'info' })
  })

  test('declaring a code the catalog lacks fails at once, naming it', async () => {
    app = await startDeclaredApp()
    expect(() => app?.fl.declare('NO_SUCH' as never)).toThrow('fl.declare: NO_SUCH is not a code of this catalog')
  })
})

describe('safe given the call', () => {
  test('runs the call with its input and rehydrates the failure, through a real client', async () => {
    app = await startDeclaredApp()
    const client = createTRPCClient<DeclaredRouter>({
      links: [faultlineLink(), httpBatchLink({ url: app.url, transformer: plainJson })],
    })
    const [user, none] = await safe(client.users.byId.query, { id: 'u_1' })
    expect(user).toEqual({ id: 'u_1', name: 'Ada' })
    expect(none).toBeUndefined()
    const [, missing] = await safe(client.users.byId.query, { id: 'u_9' })
    expect(missing).toMatchObject({ code: 'USER_NOT_FOUND', details: { userId: 'u_9' } })
    const [, anonymous] = await safe(client.users.me.query)
    expect(anonymous).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
  })
})
