import { defineErrors } from '@faultline/contract'
import { initTRPC } from '@trpc/server'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { createFaultline } from '../faultline'
import { inspectDeclarations } from './declarations'

test('inspectDeclarations lists each procedure’s declared codes, inherited ones included, without running it', async () => {
  const errors = defineErrors({ A: { status: 400, message: 'a' }, B: { status: 404, message: 'b' } })
  const fl = createFaultline({ errors, logger: false })
  const t = initTRPC.create({ errorFormatter: fl.errorFormatter })
  let ran = false
  const base = t.procedure.errors(fl.declare('UNAUTHORIZED')).use(({ next }) => {
    ran = true
    return next()
  })
  const router = t.router({
    a: base
      .errors(fl.declare('B', 'A'))
      .input(z.string())
      .query(() => 'x'),
    nested: t.router({ none: t.procedure.mutation(() => 1), empty: t.procedure.errors(fl.declare()).query(() => 1) }),
  })
  expect(await inspectDeclarations(router)).toEqual({
    a: { type: 'query', declares: ['A', 'B', 'UNAUTHORIZED'] },
    'nested.none': { type: 'mutation', declares: undefined },
    'nested.empty': { type: 'query', declares: [] },
  })
  expect(ran).toBe(false)
})
