import { expect, test } from 'vitest'
import type { AnyEnvelope } from './envelope'
import { toProblemDetails } from './problem'

test('an envelope renders as RFC 9457 problem details with extension members', () => {
  const envelope: AnyEnvelope = {
    v: 1,
    code: 'VALIDATION_FAILED',
    status: 422,
    message: 'Validation failed: email: Invalid email',
    issues: [{ path: ['email'], pointer: '/email', code: 'invalid_format', message: 'Invalid email' }],
    requestId: 'req_1',
    retry: { retryable: false },
  }
  expect(toProblemDetails(envelope, { title: 'Invalid input', instance: '/orders' })).toEqual({
    type: 'urn:faultline:error:VALIDATION_FAILED',
    title: 'Invalid input',
    status: 422,
    detail: 'Validation failed: email: Invalid email',
    instance: '/orders',
    code: 'VALIDATION_FAILED',
    requestId: 'req_1',
    retry: { retryable: false },
    issues: envelope.issues,
    errors: [{ detail: 'Invalid email', pointer: '#/email', code: 'invalid_format' }],
  })
})

test('a help URL becomes the problem type', () => {
  const problem = toProblemDetails({
    v: 1,
    code: 'X',
    status: 402,
    message: 'm',
    help: 'https://e.test/x',
    retry: { retryable: false },
  })
  expect(problem.type).toBe('https://e.test/x')
  expect(problem.title).toBe('m')
})
