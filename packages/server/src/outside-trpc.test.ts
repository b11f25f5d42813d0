// Failures outside tRPC: toEnvelope and toProblem.
import { defineErrors } from '@faultline/contract'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { createFaultline } from './faultline'
import { recorder } from './server.fixture'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  SLOW: { status: 400, message: 'Slow', data: z.object({ n: z.string().refine(async () => true) }) },
})

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('outside tRPC', () => {
  test('toProblem answers RFC 9457 problem+json with status, headers and request id', () => {
    const fl = createFaultline({ errors, logger: false })
    const problem = fl.toProblem(errors.UNAUTHORIZED({ headers: { 'WWW-Authenticate': 'Bearer' } }), {
      requestId: 'r9',
      instance: '/tasks/1',
    })
    expect(problem).toEqual({
      status: 401,
      headers: { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer', 'x-request-id': 'r9' },
      body: {
        type: 'urn:faultline:error:UNAUTHORIZED',
        title: 'Authentication required',
        status: 401,
        detail: 'Authentication required',
        instance: '/tasks/1',
        code: 'UNAUTHORIZED',
        requestId: 'r9',
        retry: { retryable: false },
      },
    })
  })

  test('toEnvelope classifies any thrown value and logs it once', () => {
    const { lines, logger } = recorder()
    const fl = createFaultline({ errors, logger, expose: 'safe' })
    expect(fl.toEnvelope('oops')).toMatchObject({ code: 'INTERNAL', message: 'Internal server error' })
    expect(fl.toEnvelope(errors.USER_NOT_FOUND({ userId: 'u' }))).toMatchObject({
      code: 'USER_NOT_FOUND',
      data: { userId: 'u' },
    })
    expect(lines).toHaveLength(2)
  })
})
