// fl.faults() as users read it, pinned at the type level.
import { defineErrors } from '@faultline/contract'
import { createFaultline, type FaultKind, type Faults } from '@faultline/server'
import { expectTypeOf, test } from 'vitest'

test('fl.faults() counts every fault kind, plus the report calls still pending', () => {
  const fl = createFaultline({ errors: defineErrors({}), logger: false })
  expectTypeOf(fl.faults()).toEqualTypeOf<Faults>()
  expectTypeOf<keyof Faults>().toEqualTypeOf<FaultKind | 'reportsPending'>()
  expectTypeOf<FaultKind>().toEqualTypeOf<'logger' | 'report' | 'handler' | 'hook' | 'transformer' | 'tasks'>()
  expectTypeOf<Faults[keyof Faults]>().toEqualTypeOf<number>()
  // a snapshot: counting is Faultline's, not the caller's
  expectTypeOf(fl.faults).parameters.toEqualTypeOf<[]>()
})
