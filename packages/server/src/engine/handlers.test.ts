import { defineErrors } from '@faultline/contract'
import { describe, expect, test } from 'vitest'
import { handle, indexHandlers, runHandlers } from './handlers'

const errors = defineErrors({
  A: { status: 400, message: 'A' },
  B: { status: 400, message: 'B' },
  C: { status: 400, message: 'C' },
})
const info = { path: 'p', type: 'query' as const, ctx: undefined }

class Base extends Error {}
class Middle extends Base {}
class Leaf extends Middle {}

function codeOf(outcome: ReturnType<typeof runHandlers>) {
  return outcome.kind === 'mapped' ? (outcome.error as { code: string }).code : outcome.kind
}

describe('handlers', () => {
  test('the most specific class on the prototype chain wins, whatever the order given', () => {
    const table = indexHandlers([handle(Base, () => errors.A()), handle(Middle, () => errors.B())])
    expect(codeOf(runHandlers(table, new Leaf(), info))).toBe('B')
    expect(codeOf(runHandlers(table, new Base(), info))).toBe('A')
    expect(codeOf(runHandlers(table, new Error(), info))).toBe('none')
  })

  test('predicates run first, in the order given', () => {
    const table = indexHandlers([
      handle(Leaf, () => errors.A()),
      handle(
        (e) => e instanceof Leaf && e.message === 'special',
        () => errors.B(),
      ),
      handle(
        (e) => e instanceof Error,
        () => errors.C(),
      ),
    ])
    expect(codeOf(runHandlers(table, new Leaf('special'), info))).toBe('B')
    expect(codeOf(runHandlers(table, new Leaf('plain'), info))).toBe('C')
  })

  test('a handler that returns nothing passes to the next candidate', () => {
    const table = indexHandlers([handle(Middle, () => undefined), handle(Base, () => errors.A())])
    expect(codeOf(runHandlers(table, new Leaf(), info))).toBe('A')
  })

  test('a handler or predicate that throws ends the search as a failure naming it', () => {
    const throwing = indexHandlers([
      handle(Base, () => {
        throw new Error('bug')
      }),
    ])
    const outcome = runHandlers(throwing, new Leaf(), info)
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'the handler for Base threw' })
    const badPredicate = indexHandlers([
      handle(
        () => {
          throw new Error('bug')
        },
        () => errors.A(),
      ),
    ])
    expect(runHandlers(badPredicate, 1, info)).toMatchObject({ kind: 'failed', reason: 'a handler predicate threw' })
  })

  test('a plain function is a predicate; classes, Error and non-Error classes match by prototype', () => {
    function isTeapot(e: unknown) {
      return e === 'teapot'
    }
    class Plain {}
    const table = indexHandlers([
      handle(isTeapot, () => errors.A()),
      handle(Plain, () => errors.B()),
      handle(Error, () => errors.C()),
    ])
    expect(codeOf(runHandlers(table, 'teapot', info))).toBe('A')
    expect(codeOf(runHandlers(table, new Plain(), info))).toBe('B')
    expect(codeOf(runHandlers(table, new TypeError(), info))).toBe('C')
  })

  test('a value whose prototype cannot be read matches no class', () => {
    const table = indexHandlers([handle(Error, () => errors.A())])
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf: () => {
          throw new Error('trap')
        },
      },
    )
    expect(runHandlers(table, hostile, info)).toEqual({ kind: 'none' })
  })

  test('handlers receive the path, type and context', () => {
    let seen: unknown
    const table = indexHandlers([
      handle(Error, (_e, i) => {
        seen = i
        return errors.A()
      }),
    ])
    runHandlers(table, new Error(), { path: 'user.byId', type: 'mutation', ctx: { user: 1 } })
    expect(seen).toEqual({ path: 'user.byId', type: 'mutation', ctx: { user: 1 } })
  })

  test('bad arguments are refused at once', () => {
    expect(() => handle('Error' as never, () => errors.A())).toThrow(/target must be a class or a predicate/)
  })
})
