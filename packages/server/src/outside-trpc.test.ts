import { afterEach, describe, expect, test, vi } from 'vitest'
import { createFaultline } from './faultline'
import { errors, recorder } from './server.fixture'

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
