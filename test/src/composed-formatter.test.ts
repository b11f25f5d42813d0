// An app that composes its own formatter on Faultline's (`fl.formatter`) sees every field it
// added on the rehydrated error, over real HTTP and a real tRPC client.
import { FaultlineClientError, faultlineFetch, faultlineLink, isFaultlineError, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import superjson from 'superjson'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { plainJson } from './fixtures/app'
import { type ComposedRouter, REGION, startComposedApp } from './fixtures/composed-app'

describe.each([false, true])('superjson: %s', (useSuperjson) => {
  let app: Awaited<ReturnType<typeof startComposedApp>>
  beforeAll(async () => {
    app = await startComposedApp({ superjson: useSuperjson })
  })
  afterAll(() => app.close())

  const client = () =>
    createTRPCClient<ComposedRouter>({
      links: [
        faultlineLink(),
        httpBatchLink({ url: app.url, transformer: useSuperjson ? superjson : plainJson, fetch: faultlineFetch() }),
      ],
    })

  test("a catalog error carries the formatter's region beside the envelope", async () => {
    const [, err] = await safe(client().user.query({ id: 'u_9' }))
    if (!isFaultlineError(err, 'USER_NOT_FOUND')) throw new Error(`expected USER_NOT_FOUND, got ${err?.code}`)
    expect(err).toBeInstanceOf(FaultlineClientError)
    expect(err.details.userId).toBe('u_9')
    expect(err.data.region).toBe(REGION)
    expect(err.shape.data.region).toBe(REGION)
    expect(err.data.zodError).toBeNull()
    // tRPC's own fields and the checked envelope are still there
    expect(err.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, path: 'user' })
    expect(err.data.error).toBe(err.envelope)
  })

  test("tRPC's zodError recipe arrives on a validation failure, with the field issues", async () => {
    const [, err] = await safe(client().user.query({ id: 'x' }))
    if (!isFaultlineError(err, 'VALIDATION_FAILED')) throw new Error(`expected VALIDATION_FAILED, got ${err?.code}`)
    expect(err.data.region).toBe(REGION)
    expect(err.data.zodError?.fieldErrors).toEqual({ id: [expect.any(String)] })
    expect(err.issues.map((i) => i.pointer)).toEqual(['/id'])
  })

  test("a code the procedure declared carries the formatter's fields too", async () => {
    const [, err] = await safe(client().signUp.mutate({ email: 'taken@example.test' }))
    if (!isFaultlineError(err, 'EMAIL_TAKEN')) throw new Error(`expected EMAIL_TAKEN, got ${err?.code}`)
    expect(err.envelope.declared).toBe(true)
    expect(err.data).toMatchObject({ region: REGION, zodError: null, httpStatus: 409 })
  })

  test('each call of a batch keeps its own fields', async () => {
    const c = client()
    const [[, invalid], [, missing]] = await Promise.all([
      safe(c.user.query({ id: 'x' })),
      safe(c.user.query({ id: 'u_8' })),
    ])
    expect(invalid?.code).toBe('VALIDATION_FAILED')
    expect(invalid?.data.zodError).not.toBeNull()
    expect(missing?.code).toBe('USER_NOT_FOUND')
    expect(missing?.data).toMatchObject({ region: REGION, zodError: null })
  })
})
