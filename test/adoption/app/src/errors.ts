// The catalog from the README's tour, shared by server and client.
import { defineErrors } from '@faultline/contract'
import { z } from 'zod'

export const errors = defineErrors({
  USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
  EMAIL_TAKEN: { status: 409, message: 'Email already registered', data: z.object({ email: z.string() }) },
  PAYMENT_DECLINED: {
    status: 402,
    message: 'Payment declined',
    data: z.object({ declineCode: z.string() }),
    retryable: false,
    help: 'https://example.com/errors/payment-declined',
  },
})

declare module '@faultline/contract' {
  interface Register {
    errors: typeof errors
  }
}
