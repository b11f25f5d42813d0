import { expect, test } from 'vitest'
import { idMaker } from './random-id'
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

test('fresh ids are unique and safe, across the batches their random bytes are drawn in', () => {
  const ids = new Set(Array.from({ length: 1000 }, newRequestId))
  expect(ids.size).toBe(1000)
  for (const id of ids) {
    expect(id).toMatch(/^req_[0-9a-f]{32}$/)
    expect(acceptRequestId(id)).toBe(id)
  }
  expect(idMaker('task_')()).toMatch(/^task_[0-9a-f]{32}$/)
  expect(() => idMaker('é_')).toThrow(/printable ASCII/)
})

test('fresh ids use every hex digit in every position: the bytes are random and fully encoded', () => {
  const seen = Array.from({ length: 32 }, () => new Set<string>())
  for (let i = 0; i < 2000; i++) {
    const hex = newRequestId().slice(4)
    for (let p = 0; p < 32; p++) seen[p]?.add(hex[p] as string)
  }
  for (const digits of seen) expect(digits.size).toBe(16)
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
