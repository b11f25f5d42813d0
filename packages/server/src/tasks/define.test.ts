import { expect, test } from 'vitest'
import { z } from 'zod'
import { defineTask } from './define'

test.each([
  [{ name: '', run: () => {} }, /name must be 1-100 letters/],
  [{ name: 'has space', run: () => {} }, /name must be 1-100 letters/],
  [{ name: 'x' }, /x needs a run function/],
  [{ name: 'x', run: () => {}, payload: { parse() {} } }, /the payload of x is not a Standard Schema/],
  [{ name: 'x', run: () => {}, retry: { attempts: 0 } }, /retry.attempts of x must be a whole number/],
  [{ name: 'x', run: () => {}, timeoutMs: -1 }, /timeoutMs of x must be positive/],
])('defineTask refuses a definition that cannot work (%#)', (def, message) => {
  expect(() => defineTask(def as never)).toThrow(message)
})

test('a valid definition is frozen and keeps its parts', () => {
  const def = defineTask({ name: 'send-receipt', payload: z.object({ id: z.string() }), run: () => {}, timeoutMs: 5 })
  expect(Object.isFrozen(def)).toBe(true)
  expect(def).toMatchObject({ name: 'send-receipt', timeoutMs: 5 })
})
