// The exception event's attributes for each kind of failure, and for thrown values that are not Errors.
import type { AnyEnvelope } from '@faultline/contract'
import type { ReportEvent } from '@faultline/server'
import { expect, test } from 'vitest'
import { exceptionAttributes } from './exception'

const internal: AnyEnvelope = {
  v: 1,
  code: 'INTERNAL',
  status: 500,
  message: 'Internal server error',
  retry: { retryable: false },
}

function crash(error: unknown): ReportEvent {
  return {
    handled: false,
    code: 'INTERNAL',
    status: 500,
    requestId: 'req_1',
    path: 'p',
    source: 'request',
    error,
    envelope: internal,
  }
}

test('a crash: its type, real message and stack, as the log line has them', () => {
  const error = new RangeError('index 7 out of range')
  expect(exceptionAttributes(crash(error), false)).toEqual({
    'exception.type': 'RangeError',
    'exception.message': 'index 7 out of range',
    'exception.stacktrace': error.stack,
    'faultline.code': 'INTERNAL',
    'faultline.handled': false,
    'faultline.request_id': 'req_1',
    'faultline.path': 'p',
  })
})

test('redacted: only what the client was sent', () => {
  expect(exceptionAttributes(crash(new Error('SELECT * FROM secrets')), true)).toEqual({
    'exception.type': 'Error',
    'exception.message': 'Internal server error',
    'faultline.code': 'INTERNAL',
    'faultline.handled': false,
    'faultline.request_id': 'req_1',
    'faultline.path': 'p',
  })
})

test('an expected failure has no stack; a validation failure says its summary, not the dump', () => {
  const envelope: AnyEnvelope = {
    v: 1,
    code: 'VALIDATION_FAILED',
    status: 400,
    message: 'Validation failed: email: Invalid email',
    issues: [{ path: ['email'], pointer: '/email', code: 'invalid_format', message: 'Invalid email' }],
    retry: { retryable: false },
  }
  const dump = Object.assign(new Error('[{"code":"invalid_format","path":["email"]}]'), { name: 'ZodError' })
  const event: ReportEvent = { ...crash(dump), handled: true, code: 'VALIDATION_FAILED', status: 400, envelope }
  expect(exceptionAttributes(event, false)).toMatchObject({
    'exception.type': 'ZodError',
    'exception.message': 'Validation failed: email: Invalid email',
  })
  expect(exceptionAttributes(event, false)).not.toHaveProperty('exception.stacktrace')
})

test('thrown values that are not Errors, hostile ones included, never break the recording', () => {
  expect(exceptionAttributes(crash('connection reset'), false)).toMatchObject({
    'exception.type': 'string',
    'exception.message': 'connection reset',
  })
  const hostile = new Proxy(
    {},
    {
      get() {
        throw new Error('trap')
      },
    },
  )
  expect(exceptionAttributes(crash(hostile), false)).toMatchObject({
    'exception.type': 'Error',
    'exception.message': 'Internal server error',
  })
  expect(exceptionAttributes(crash(null), false)).toMatchObject({
    'exception.type': 'object',
    'exception.message': 'null',
  })
})
