// Which source a request's failure is logged and reported with: a subscription's own, else request.
import { TRPCError } from '@trpc/server'
import { expect, test } from 'vitest'
import type { ReportEvent } from '../engine/log'
import { createFaultline } from '../faultline'
import { errors, recorder } from '../server.fixture'

test.each([
  ['subscription', 'subscription'],
  ['query', 'request'],
  ['mutation', 'request'],
] as const)('a failure in a %s is logged and reported with source %s', (type, source) => {
  const reports: ReportEvent[] = []
  const { lines, logger } = recorder()
  const fl = createFaultline({ errors, logger, report: (e) => void reports.push(e) })
  fl.errorFormatter({
    error: new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: errors.USER_NOT_FOUND({ userId: 'u_1' }) }),
    type,
    path: 'user.updates',
    input: undefined,
    ctx: { requestId: 'req_source' },
    shape: {},
  })
  expect(reports.map((r) => r.source)).toEqual([source])
  expect(lines.map(([, obj]) => obj.source)).toEqual([source])
})
