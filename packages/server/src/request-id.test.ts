import { expect, test } from 'vitest'
import { acceptRequestId, newRequestId, readHeader } from './request-id'

test.each([
  ['abc-123', true],
  ['req_0f.A:b/c+d=e@f', true],
  ['a'.repeat(128), true],
  ['a'.repeat(129), false],
  ['', false],
  ['evil\r\nSet-Cookie: x=1', false],
  ['idé', false],
  ['a b', false],
])('acceptRequestId(%j) accepts: %s', (id, ok) => {
  expect(acceptRequestId(id)).toBe(ok ? id : undefined)
})

test('fresh ids are unique and safe', () => {
  const ids = new Set(Array.from({ length: 1000 }, newRequestId))
  expect(ids.size).toBe(1000)
  for (const id of ids) expect(acceptRequestId(id)).toBe(id)
})

test('headers are read from fetch Requests and node IncomingMessages alike', () => {
  expect(readHeader(new Request('http://x', { headers: { 'x-request-id': 'a' } }), 'x-request-id')).toBe('a')
  expect(readHeader({ headers: { 'x-request-id': 'b' } }, 'x-request-id')).toBe('b')
  expect(readHeader({ headers: { 'x-request-id': ['c', 'd'] } }, 'x-request-id')).toBe('c')
  expect(readHeader({ headers: {} }, 'x-request-id')).toBeUndefined()
  expect(readHeader(undefined, 'x-request-id')).toBeUndefined()
  const hostile = new Proxy(
    {},
    {
      get: () => {
        throw new Error('trap')
      },
    },
  )
  expect(readHeader(hostile, 'x-request-id')).toBeUndefined()
})
