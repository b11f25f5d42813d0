import { defineErrors } from '@faultline/contract'
import { createFaultline, type ReportEvent } from '@faultline/server'
import { expect, test } from 'vitest'
import { sentryReport } from './report'

const errors = defineErrors({ ORDER_NOT_FOUND: { status: 404, message: 'Order not found' } })

/** A real report event: the one Faultline builds for a crash outside any request. */
function crashEvent(): ReportEvent {
  const events: ReportEvent[] = []
  const fl = createFaultline({ errors, logger: false, report: (e) => void events.push(e) })
  fl.toEnvelope(new Error('boom'))
  const [event] = events
  if (!event) throw new Error('Faultline reported nothing')
  return event
}

const brokenFingerprint = () => {
  throw new Error('fingerprint rules are broken')
}

test('a failed capture still calls next, then throws what failed', () => {
  const seen: string[] = []
  const report = sentryReport({ fingerprint: brokenFingerprint, next: (e) => void seen.push(e.code) })
  expect(() => report(crashEvent())).toThrow('fingerprint rules are broken')
  expect(seen).toEqual(['INTERNAL'])
})

test("with an async next, a failed capture rejects once next has settled; next's own rejection passes through", async () => {
  const order: string[] = []
  const slowNext = async () => {
    await new Promise((resolve) => setTimeout(resolve, 5))
    order.push('next settled')
  }
  const failing = sentryReport({ fingerprint: brokenFingerprint, next: slowNext })
  await expect(failing(crashEvent())).rejects.toThrow('fingerprint rules are broken')
  expect(order).toEqual(['next settled'])

  const rejecting = sentryReport({ next: () => Promise.reject(new Error('my hook is down')) })
  await expect(rejecting(crashEvent())).rejects.toThrow('my hook is down')
})
