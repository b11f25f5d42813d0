import { describe, expect, test } from 'vitest'
import { parseEnvelope, withoutPrototypeKeys } from './parse'

const valid = {
  v: 1,
  code: 'USER_NOT_FOUND',
  status: 404,
  message: 'User not found',
  data: { userId: 'u1' },
  issues: [{ path: ['email'], pointer: '/email', code: 'invalid_format', message: 'Bad email' }],
  declared: true,
  requestId: 'req_1',
  traceId: 't1',
  retry: { retryable: true, afterMs: 100 },
  help: 'https://example.test',
  debug: { message: 'raw', stack: 'Error: raw', cause: [{ name: 'TypeError', message: 'x' }], input: { a: 1 } },
}

describe('parseEnvelope', () => {
  test('accepts a full envelope and returns an equal, clean copy', () => {
    const result = parseEnvelope(valid)
    expect(result).toEqual({ ok: true, envelope: valid })
    if (result.ok) expect(result.envelope).not.toBe(valid)
  })

  test('ignores unknown extension members', () => {
    const result = parseEnvelope({ ...valid, extra: 'x' })
    expect(result.ok && 'extra' in result.envelope).toBe(false)
  })

  test.each([
    ['not an object', 'x', /not an object/],
    ['an array', [], /not an object/],
    ['another version', { ...valid, v: 2 }, /envelope version 2 is not supported/],
    ['a lower-case code', { ...valid, code: 'user' }, /code/],
    ['a status string', { ...valid, status: '404' }, /status/],
    ['a status out of range', { ...valid, status: 1000 }, /status/],
    ['a non-string message', { ...valid, message: 5 }, /message/],
    ['no retry', { ...valid, retry: undefined }, /retry/],
    ['a negative afterMs', { ...valid, retry: { retryable: true, afterMs: -1 } }, /retry/],
    ['issues that are not an array', { ...valid, issues: {} }, /issues is not a list of/],
    [
      'an issue without a pointer',
      { ...valid, issues: [{ path: [], code: 'x', message: 'y' }] },
      /issues is not a list of/,
    ],
    ['a non-string requestId', { ...valid, requestId: 1 }, /requestId/],
    ['a non-boolean declared', { ...valid, declared: 'yes' }, /declared/],
  ])('rejects %s', (_label, value, reason) => {
    const result = parseEnvelope(value)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(reason)
  })

  test('drops prototype-polluting keys at any depth', () => {
    const raw = JSON.parse(
      '{"v":1,"code":"X","status":400,"message":"m","retry":{"retryable":false},"data":{"__proto__":{"polluted":1},"a":[{"constructor":{"prototype":{"polluted":1}}}]}}',
    )
    const result = parseEnvelope(raw)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.envelope.data).toEqual({ a: [{}] })
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
  })

  test('fails on absurd nesting instead of overflowing the stack', () => {
    let data: unknown = 1
    for (let i = 0; i < 100_000; i++) data = [data]
    const result = parseEnvelope({ ...valid, data })
    expect(result).toEqual({ ok: false, reason: 'envelope data is nested too deeply' })
  })

  test('keeps transformer-made values such as Dates and Maps', () => {
    const at = new Date(0)
    const tags = new Map([['a', 1]])
    const result = parseEnvelope({ ...valid, data: { at, tags, n: 10n } })
    expect(result.ok && result.envelope.data).toEqual({ at, tags, n: 10n })
  })
})

test('withoutPrototypeKeys copies own fields onto a fresh object, never a key that reaches a prototype', () => {
  const hostile = JSON.parse('{"a":1,"__proto__":{"polluted":true},"constructor":{"prototype":{}},"b":{"c":2}}')
  const copy = withoutPrototypeKeys(hostile, (field) => (typeof field === 'number' ? field * 10 : field))
  expect(copy).toEqual({ a: 10, b: { c: 2 } })
  expect(Object.keys(copy)).toEqual(['a', 'b'])
  expect(({} as { polluted?: unknown }).polluted).toBeUndefined()
})

test('withoutPrototypeKeys without a map copies the fields as they are', () => {
  const hostile = JSON.parse('{"a":1,"__proto__":{"polluted":true},"prototype":{},"b":{"c":2}}')
  const copy = withoutPrototypeKeys(hostile)
  expect(copy).toEqual({ a: 1, b: { c: 2 } })
  expect(copy.b).toBe(hostile.b)
  expect(Object.hasOwn(copy, '__proto__')).toBe(false)
  expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
})
