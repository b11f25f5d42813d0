// What an instrumentation relies on from the taskContext hooks' types.
import { expectTypeOf, test } from 'vitest'
import type { TaskCarrier } from './runner'
import type { TaskAttemptInfo, TaskContextHooks } from './task-context'

test('around hands back what run gives, whatever it is', () => {
  const hooks: TaskContextHooks = {
    capture: () => ({ traceparent: '00-…' }),
    around: (attempt, run) => {
      expectTypeOf(attempt).toEqualTypeOf<TaskAttemptInfo>()
      expectTypeOf(attempt.carrier).toEqualTypeOf<TaskCarrier | undefined>()
      return run()
    },
  }
  expectTypeOf(hooks).toExtend<TaskContextHooks>()
  const lies: TaskContextHooks = {
    // @ts-expect-error a wrapper cannot make up the attempt's outcome
    around: async () => 'succeeded',
  }
  // @ts-expect-error a carrier holds strings, so any queue carries it as JSON
  const numbers: TaskContextHooks = { capture: () => ({ attempt: 1 }) }
  void lies
  void numbers
})
