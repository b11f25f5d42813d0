// If the mock and the real server ever drift, this fails: for each case, the
// same request to both must give the same status, headers that matter and body.
import { createFaultlineMsw } from '@faultline/msw'
import type { AnyRouter } from '@trpc/server'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startApp } from './fixtures/app'
import { errors } from './fixtures/catalog'
import { startDeclaredApp } from './fixtures/declared-app'

const MOCK_URL = 'http://conformance.mocked.test'
const HEADERS = ['content-type', 'www-authenticate', 'retry-after', 'x-request-id', 'allow'] as const

interface Exchange {
  status: number
  headers: Record<string, string | null>
  body: unknown
}

async function exchange(
  base: string,
  path: string,
  init: RequestInit = {},
  normalizeStacks = false,
): Promise<Exchange> {
  const res = await fetch(`${base}/${path}`, { ...init, headers: { 'x-request-id': 'conformance-1', ...init.headers } })
  const headers = Object.fromEntries(HEADERS.map((h) => [h, res.headers.get(h)]))
  const text = await res.text()
  // under debug exposure stacks name call sites, which differ by nature: compare everything else
  const body = normalizeStacks ? JSON.parse(text, (key, value) => (key === 'stack' ? '<stack>' : value)) : text
  return { status: res.status, headers, body }
}

const q = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify(input))}`

type Case = {
  name: string
  path: string
  init?: RequestInit
  mock: (m: any) => void
}

function suite(
  label: string,
  start: () => Promise<{ url: string; router: AnyRouter; fl: any; close(): Promise<void> }>,
  cases: Case[],
  normalizeStacks = false,
) {
  describe(label, () => {
    let real: Awaited<ReturnType<typeof start>>
    let kit: ReturnType<typeof createFaultlineMsw>
    const server = setupServer()
    beforeAll(async () => {
      real = await start()
      kit = createFaultlineMsw({ router: real.router, faultline: real.fl, url: MOCK_URL })
      server.use(...kit.handlers)
      server.listen({ onUnhandledRequest: 'bypass' })
    })
    afterAll(async () => {
      server.close()
      await real.close()
    })

    test.each(cases)('$name', async (c) => {
      kit.reset()
      c.mock(kit.mock)
      const fromServer = await exchange(real.url, c.path, c.init, normalizeStacks)
      const fromMock = await exchange(MOCK_URL, c.path, c.init, normalizeStacks)
      expect(fromMock).toEqual(fromServer)
      kit.assertAllMocked()
    })
  })
}

const post = (input: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(input),
})

suite('declarations (safe exposure)', () => startDeclaredApp(), [
  {
    name: 'a declared error',
    path: `users.byId${q({ id: 'u_9' })}`,
    mock: (m) => m.users.byId.query(errors.USER_NOT_FOUND({ userId: 'u_9' })),
  },
  {
    name: 'an undeclared error (declared: false)',
    path: `users.byId${q({ id: 'taken' })}`,
    mock: (m) => m.users.byId.query(errors.EMAIL_TAKEN({ email: 'a@b.c' })),
  },
  {
    name: 'a validation failure',
    path: `users.byId${q({ id: 1 })}`,
    mock: (m) => m.users.byId.query(() => ({ id: 'never' })),
  },
  {
    name: 'UNAUTHORIZED with WWW-Authenticate, declared by the base procedure',
    path: 'users.me',
    mock: (m) => m.users.me.query(errors.UNAUTHORIZED({ headers: { 'WWW-Authenticate': 'Bearer' } })),
  },
  {
    name: 'a mutation error',
    path: 'users.create',
    init: post({ email: 'ada@example.test' }),
    mock: (m) => m.users.create.mutation(errors.EMAIL_TAKEN({ email: 'ada@example.test' })),
  },
  {
    name: 'an unexpected crash',
    path: 'crash',
    mock: (m) => m.crash.query(new Error('boom')),
  },
  {
    name: 'a mixed batch (207)',
    path: `users.byId,crash?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { id: 'u_9' }, 1: undefined }))}`,
    mock: (m) => {
      m.users.byId.query(errors.USER_NOT_FOUND({ userId: 'u_9' }))
      m.crash.query(new Error('boom'))
    },
  },
])

suite('headers and data (safe exposure)', () => startApp({ expose: 'safe' }), [
  {
    name: 'a success',
    path: `user.byId${q({ id: 'u_1' })}`,
    mock: (m) => m.user.byId.query(() => ({ id: 'u_1', name: 'Ada' })),
  },
  {
    name: 'RATE_LIMITED with Retry-After',
    path: 'rateLimited',
    mock: (m) => m.rateLimited.query(errors.RATE_LIMITED({ retryAfterMs: 2_000 })),
  },
  {
    name: 'a crash whose message must not leak',
    path: 'sqlLeak',
    mock: (m) => m.sqlLeak.query(new Error('relation "secret_users_table" does not exist at /srv/app/db.ts:42')),
  },
  {
    name: 'data the wire cannot carry degrades the same way',
    path: 'quota',
    mock: (m) => m.quota.query(errors.QUOTA_EXCEEDED({ limit: 10n ** 20n })),
  },
])

suite(
  'debug exposure (stacks aside)',
  () => startApp({ expose: 'debug' }),
  [
    {
      name: 'an unexpected crash with its message, cause chain and input',
      path: 'sqlLeak',
      mock: (m) => m.sqlLeak.query(new Error('relation "secret_users_table" does not exist at /srv/app/db.ts:42')),
    },
    {
      name: 'a validation failure with its input',
      path: 'user.create',
      init: post({ email: 'nope', name: 'A' }),
      mock: (m) => m.user.create.mutation(() => ({ id: 'never' })),
    },
  ],
  true,
)
