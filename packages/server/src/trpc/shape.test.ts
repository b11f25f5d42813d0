// Error shapes on the wire, and the plain-JSON shapes superjson hands on without its walk.
import { defineErrors } from '@faultline/contract'
import { TRPCError } from '@trpc/server'
import superjson from 'superjson'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import type { Logger } from '../engine/log'
import { isPlainJson } from '../engine/plain-json'
import { createFaultline } from '../faultline'
import { format } from '../server.fixture'
import { type TRPCWireShape as FaultlineShape, passesPlainShapes } from './shape'

afterEach(() => {
  vi.unstubAllEnvs()
})

const richErrors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  RICH: {
    status: 409,
    message: 'Rich data',
    data: z.object({
      at: z.date().optional(),
      n: z.number().optional(),
      note: z.string().optional(),
      tags: z.map(z.string(), z.number()).optional(),
      a: z.looseObject({}).optional(),
      b: z.looseObject({}).optional(),
    }),
  },
  POLLUTING: { status: 400, message: 'Polluting', data: z.looseObject({}) },
})

// what superjson sends for a shape, and for the same shape as a plain object (which it walks)
const sent = (shape: object) => JSON.stringify(superjson.serialize(shape))
const walked = (shape: object) => JSON.stringify(superjson.serialize({ ...shape }))

const invalidEmail = () => {
  const result = z.object({ email: z.email(), age: z.number().int() }).safeParse({ email: 'nope', age: 1.5 })
  if (result.success) throw new Error('expected a failure')
  return new TRPCError({ code: 'BAD_REQUEST', cause: result.error })
}

describe('shapes of plain JSON skip superjson’s walk', () => {
  const fl = createFaultline({ errors: richErrors, logger: false, expose: 'safe', transformer: superjson })

  test.each([
    ['a catalog error with plain data', () => richErrors.USER_NOT_FOUND({ userId: 'u_1' }), 'user.byId'],
    ['a validation failure', invalidEmail, 'user.create'],
    ['a crash', () => new TypeError('boom'), 'user.byId'],
  ])('%s: handed over as it is, the same bytes as the walked shape', (_, make, path) => {
    const shape = format(fl, make(), path)
    const out = superjson.serialize(shape)
    expect(out.json).toBe(shape)
    expect(out.meta).toBeUndefined()
    expect(sent(shape)).toBe(walked(shape))
  })

  test('a shape without a path is handed over as it is too', () => {
    const error = new TRPCError({ code: 'NOT_FOUND', cause: richErrors.USER_NOT_FOUND({ userId: 'u_1' }) })
    const shape = fl.errorFormatter({ error, type: 'unknown', path: undefined, input: undefined, ctx: {}, shape: {} })
    expect(shape.data.path).toBeUndefined()
    expect(superjson.serialize(shape).json).toBe(shape)
    expect(sent(shape)).toBe(walked(shape))
  })

  test('debug exposure, with the stack and the echoed input, is plain JSON too', () => {
    const debug = createFaultline({ errors: richErrors, logger: false, expose: 'debug', transformer: superjson })
    const shape = format(debug, new TypeError('boom'), 'p')
    expect(shape.data.error.debug?.stack).toContain('TypeError: boom')
    expect(superjson.serialize(shape).json).toBe(shape)
    expect(sent(shape)).toBe(walked(shape))
  })

  test.each([
    ['a Date', { at: new Date('2026-01-02T03:04:05.000Z') }],
    ['-0', { n: -0 }],
    ['an undefined field', { note: undefined }],
    ['a Map', { tags: new Map([['x', 1]]) }],
  ])('data holding %s gets the walk, and superjson marks it', (_, data) => {
    const shape = format(fl, richErrors.RICH(data), 'p')
    expect(Object.getPrototypeOf(shape)).toBe(Object.prototype)
    expect(sent(shape)).toBe(walked(shape))
    const back = superjson.deserialize<FaultlineShape>(superjson.serialize(shape))
    expect(back.data.error.data).toEqual(data)
  })

  test('plain JSON is a tree of JSON values that superjson has nothing to mark in', () => {
    const shared = { x: 1 }
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(isPlainJson({ a: [1, 'two', true, null, { b: 2.5 }] })).toBe(true)
    expect(isPlainJson({ a: shared, b: { ...shared } })).toBe(true)
    // superjson marks these, so they must reach its walk
    expect(isPlainJson({ a: shared, b: shared })).toBe(false)
    expect(isPlainJson([shared, shared])).toBe(false)
    expect(isPlainJson(cycle)).toBe(false)
    expect(isPlainJson({ n: -0 })).toBe(false)
    expect(isPlainJson({ n: Number.NaN })).toBe(false)
    expect(isPlainJson({ note: undefined })).toBe(false)
    expect(isPlainJson({ at: new Date(0) })).toBe(false)
    expect(isPlainJson(Object.assign(Object.create({ inherited: 1 }), { own: 1 }))).toBe(false)
    expect(isPlainJson({ [Symbol('s')]: 1 })).toBe(false)
    // and superjson refuses these keys outright
    expect(isPlainJson(JSON.parse('{"__proto__":{}}'))).toBe(false)
    expect(isPlainJson({ constructor: 'x' })).toBe(false)
    // a deep or wide value is left to the full check rather than walked here without end
    const wide = Array.from({ length: 300 }, (_, i) => ({ i }))
    expect(isPlainJson(wide)).toBe(false)
  })

  test('data with a key superjson refuses degrades to INTERNAL instead of breaking the response', () => {
    const lines: unknown[][] = []
    const logger: Logger = { info: () => {}, warn: () => {}, error: (...args) => void lines.push(args) }
    const logged = createFaultline({ errors: richErrors, logger, expose: 'safe', transformer: superjson })
    const data = JSON.parse('{"constructor":"x"}') as Record<string, unknown>
    const shape = format(logged, richErrors.POLLUTING(data), 'p')
    expect(shape.data.error.code).toBe('INTERNAL')
    expect(() => superjson.serialize(shape)).not.toThrow()
    expect(JSON.stringify(lines)).toContain('the data of POLLUTING cannot be serialized')
  })
})

describe('passesPlainShapes', () => {
  test('superjson, and a transformer returning its input, pass a class instance through', () => {
    expect(passesPlainShapes(superjson)).toBe(true)
    expect(passesPlainShapes({ serialize: (v) => v })).toBe(true)
  })

  test('no transformer, or one that copies, wraps with marks or refuses class instances: plain shapes', () => {
    expect(passesPlainShapes(undefined)).toBe(false)
    expect(passesPlainShapes({ serialize: (v) => JSON.parse(JSON.stringify(v)) })).toBe(false)
    expect(passesPlainShapes({ serialize: (v) => ({ json: v, meta: { v: 1 } }) })).toBe(false)
    const strict = {
      serialize(v: unknown) {
        if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) !== Object.prototype) {
          throw new TypeError('cannot stringify arbitrary non-POJOs')
        }
        return v
      },
    }
    expect(passesPlainShapes(strict)).toBe(false)
    // and the formatter then answers plain objects, which such a transformer carries
    const fl = createFaultline({ errors: richErrors, logger: false, expose: 'safe', transformer: strict })
    const shape = format(fl, richErrors.USER_NOT_FOUND({ userId: 'u' }), 'p')
    expect(Object.getPrototypeOf(shape)).toBe(Object.prototype)
    expect(() => strict.serialize(shape)).not.toThrow()
  })
})
