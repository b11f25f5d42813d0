// Errors inside subscriptions, over SSE and WebSocket, reach the subscriber as
// typed errors; a terminal error ends the subscription instead of reconnecting.
import { type FaultlineClientError, isFaultlineError } from '@faultline/client'
import { afterEach, describe, expect, test } from 'vitest'
import { ENDINGS, startSubscriptionsApp } from './fixtures/subscriptions-app'

type Started = Awaited<ReturnType<typeof startSubscriptionsApp>>
let app: Started | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

interface Outcome {
  data: unknown[]
  error?: FaultlineClientError | unknown
  ended: 'error' | 'complete' | 'still-open'
}

/** Subscribes and waits until the subscription errors, completes, or `settleMs` passes. */
function collect(subscribe: (handlers: never) => unknown, settleMs = 400): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { data: [], ended: 'still-open' }
    let timer: ReturnType<typeof setTimeout> | undefined
    const done = () => {
      clearTimeout(timer)
      ;(sub as { unsubscribe(): void }).unsubscribe()
      resolve(outcome)
    }
    const sub = subscribe({
      onData: (d: unknown) => outcome.data.push(d),
      onError: (e: unknown) => {
        outcome.error = e
        outcome.ended = 'error'
        done()
      },
      onComplete: () => {
        if (outcome.ended === 'still-open') outcome.ended = 'complete'
        done()
      },
    } as never)
    timer = setTimeout(done, settleMs)
  })
}

describe.each(['sse', 'ws'] as const)('subscriptions over %s', (transport) => {
  test('a declared error thrown mid-stream reaches the subscriber typed, after the data, and ends it', async () => {
    app = await startSubscriptionsApp()
    const c = app.client(transport)
    const outcome = await collect((h) => c.ticks.subscribe({ end: 'declared', count: 2 }, h))
    expect(outcome.data).toEqual([0, 1])
    expect(outcome.ended).toBe('error')
    if (!isFaultlineError(outcome.error, 'USER_NOT_FOUND'))
      throw new Error(`expected USER_NOT_FOUND, got ${String(outcome.error)}`)
    expect(outcome.error.details).toEqual({ userId: 'sub-1' })
    expect(outcome.error.envelope.declared).toBe(true)
    await new Promise((r) => setTimeout(r, 200))
    expect(app.started).toEqual(['declared'])
    expect(app.log.lines.filter((l) => l.obj.code === 'USER_NOT_FOUND')).toHaveLength(1)
  })

  test('a crash is a terminal INTERNAL, redacted: the client does not reconnect to crash again', async () => {
    app = await startSubscriptionsApp()
    const c = app.client(transport)
    const outcome = await collect((h) => c.ticks.subscribe({ end: 'crash', count: 1 }, h), 1500)
    expect(outcome.ended).toBe('error')
    expect(outcome.error).toMatchObject({ code: 'INTERNAL', message: 'Internal server error' })
    expect(JSON.stringify((outcome.error as FaultlineClientError).envelope)).not.toContain('SECRET')
    await new Promise((r) => setTimeout(r, 500))
    expect(app.started).toEqual(['crash'])
    expect(app.log.lines.filter((l) => l.level === 'error')).toHaveLength(1)
  })

  test('invalid subscription input gives VALIDATION_FAILED', async () => {
    app = await startSubscriptionsApp()
    const c = app.client(transport)
    const outcome = await collect((h) => c.ticks.subscribe({ end: 'none', count: 99 }, h))
    expect(outcome.ended).toBe('error')
    expect(outcome.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [expect.objectContaining({ pointer: '/count' })],
    })
    expect(app.started).toEqual([])
  })

  test('a refused subscription gives UNAUTHORIZED and ends', async () => {
    app = await startSubscriptionsApp()
    const c = app.client(transport)
    const outcome = await collect((h) => c.private.subscribe(undefined, h))
    expect(outcome.ended).toBe('error')
    expect(outcome.error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
    expect(app.started).toEqual([])
  })
})

describe.each(['sse', 'ws'] as const)('retryable subscription errors over %s', (transport) => {
  // tRPC's SSE client would file a -32603 error under its connection state and complete, so the
  // subscriber never saw it: Faultline delivers it, with the hint to subscribe again
  test('UNAVAILABLE reaches onError with retry.retryable, so the app can subscribe again', async () => {
    app = await startSubscriptionsApp()
    const c = app.client(transport)
    const outcome = await collect((h) => c.ticks.subscribe({ end: 'unavailable', count: 1 }, h))
    expect(outcome.data).toEqual([0])
    expect(outcome.ended).toBe('error')
    expect(outcome.error).toMatchObject({ code: 'UNAVAILABLE', retry: { retryable: true } })
    const again = await collect((h) => c.ticks.subscribe({ end: 'none', count: 1 }, h))
    expect(again.data).toEqual([0])
    expect(app.started).toEqual(['unavailable', 'none'])
  })
})

test('the fixture ends subscriptions in each way the tests name', () => {
  expect([...ENDINGS].sort()).toEqual(['crash', 'declared', 'none', 'unavailable'])
})
