// The fetch adapter (serverless, edge) and a validator that is not zod: the
// same envelope, the request id read from a fetch Request.

import { parseEnvelope } from '@faultline/contract'
import { createFaultline } from '@faultline/server'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { expect, test } from 'vitest'
import { errors } from './fixtures/catalog'
import { memoryLogger } from './fixtures/logger'

/** A hand-written Standard Schema: `{ qty: positive integer }`. */
const orderInput: StandardSchemaV1<unknown, { qty: number }> = {
  '~standard': {
    version: 1,
    vendor: 'hand-written',
    validate(value) {
      const qty = (value as { qty?: unknown } | null)?.qty
      if (typeof qty === 'number' && Number.isInteger(qty) && qty > 0) return { value: { qty } }
      return { issues: [{ message: 'Quantity must be a positive integer', path: [{ key: 'qty' }] }] }
    },
  },
}

function handler() {
  const log = memoryLogger()
  const fl = createFaultline({ errors, logger: log.logger, expose: 'safe' })
  const t = initTRPC.create({ errorFormatter: fl.errorFormatter })
  const router = t.router({
    order: t.procedure.input(orderInput).mutation(({ input }) => ({ qty: input.qty })),
    user: t.procedure.query(() => {
      throw errors.USER_NOT_FOUND({ userId: 'u_7' })
    }),
  })
  const handle = (req: Request) =>
    fetchRequestHandler({ endpoint: '/trpc', req, router, createContext: fl.createContext(), ...fl.adapter() })
  return { handle, log }
}

test('a Standard Schema validator that is not zod yields VALIDATION_FAILED with pointers', async () => {
  const { handle } = handler()
  const res = await handle(
    new Request('http://x/trpc/order', {
      method: 'POST',
      body: JSON.stringify({ qty: -1 }),
      headers: { 'content-type': 'application/json' },
    }),
  )
  expect(res.status).toBe(400)
  const parsed = parseEnvelope(((await res.json()) as { error: { data: { error: unknown } } }).error.data.error)
  expect(parsed.ok && parsed.envelope).toMatchObject({
    code: 'VALIDATION_FAILED',
    issues: [{ path: ['qty'], pointer: '/qty', code: 'invalid', message: 'Quantity must be a positive integer' }],
  })
})

test('the fetch adapter carries the request id from a fetch Request to envelope, header and log', async () => {
  const { handle, log } = handler()
  const res = await handle(new Request('http://x/trpc/user', { headers: { 'x-request-id': 'edge-1' } }))
  expect(res.status).toBe(404)
  expect(res.headers.get('x-request-id')).toBe('edge-1')
  const body = (await res.json()) as { error: { data: { error: { requestId: string; code: string } } } }
  expect(body.error.data.error).toMatchObject({ code: 'USER_NOT_FOUND', requestId: 'edge-1' })
  expect(log.lines.map((l) => l.obj.requestId)).toEqual(['edge-1'])
})
