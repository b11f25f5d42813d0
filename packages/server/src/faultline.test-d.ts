// What an app relies on from createFaultline's types.
import { defineErrors } from '@faultline/contract'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { createFaultline, type Faultline, type FaultlineWithTasks } from './faultline'
import { defineTask } from './tasks/define'
import type { DrainResult } from './tasks/runner'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
})
const ping = defineTask({ name: 'ping', run: () => {} })

describe('createFaultline', () => {
  test('task members exist only when background tasks are configured', () => {
    const plain = createFaultline({ errors, logger: false })
    expectTypeOf(plain).toEqualTypeOf<Faultline<typeof errors>>()
    expectTypeOf(plain).not.toHaveProperty('tasks')
    expectTypeOf(plain).not.toHaveProperty('background')
    expectTypeOf(plain).not.toHaveProperty('taskRouter')

    const withTasks = createFaultline({ errors, logger: false, background: { tasks: [ping] } })
    expectTypeOf(withTasks).toExtend<FaultlineWithTasks<typeof errors, readonly [typeof ping]>>()
    expectTypeOf(withTasks.tasks.drain).returns.resolves.toEqualTypeOf<DrainResult>()
    expectTypeOf(withTasks).toHaveProperty('taskRouter')
  })

  test('fl.declare takes only codes of the catalog', () => {
    const fl = createFaultline({ errors, logger: false })
    fl.declare('USER_NOT_FOUND')
    // @ts-expect-error not a code of this catalog
    fl.declare('NOPE')
  })
})
