// What an app relies on from withOpenTelemetry's types: createFaultline infers exactly as without it.
import { defineErrors } from '@faultline/contract'
import { createFaultline, defineTask, type Faultline } from '@faultline/server'
import { trace } from '@opentelemetry/api'
import { expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { withOpenTelemetry } from './with-open-telemetry'

const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
})
const send = defineTask({ name: 'send', payload: z.object({ email: z.string() }), run: () => {} })

test('the instance is typed as createFaultline types it without OpenTelemetry', () => {
  const traced = createFaultline(withOpenTelemetry({ errors, logger: false, background: { tasks: [send] } }))
  const plain = createFaultline({ errors, logger: false, background: { tasks: [send] } })
  expectTypeOf(traced).toEqualTypeOf(plain)
  expectTypeOf(createFaultline(withOpenTelemetry({ errors }))).toEqualTypeOf<Faultline<typeof errors>>()
})

test("options are checked as createFaultline's are, and the SDK's providers are taken", () => {
  // @ts-expect-error a misspelt option is refused, as createFaultline refuses it
  withOpenTelemetry({ errors, loger: false })
  withOpenTelemetry({ errors }, { tracerProvider: trace.getTracerProvider(), redact: true })
  // @ts-expect-error redact is a boolean
  withOpenTelemetry({ errors }, { redact: 'yes' })
})
