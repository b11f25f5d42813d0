import { defineErrors } from '@faultline/contract'
import { z } from 'zod'

/** The example service's error catalog: shared by its server and any client. */
export const errors = defineErrors({
  ORDER_NOT_FOUND: { status: 404, message: 'Order not found', data: z.object({ orderId: z.string() }) },
  PAYMENT_DECLINED: {
    status: 402,
    message: 'Payment declined',
    data: z.object({ declineCode: z.enum(['insufficient_funds', 'card_expired', 'do_not_honor']) }),
    retryable: false,
    help: 'https://faultline.dev/errors/payment-declined',
  },
  OUT_OF_STOCK: {
    status: 409,
    message: 'Out of stock',
    data: z.object({ sku: z.string(), available: z.number().int() }),
  },
  RECEIPT_BOUNCED: {
    status: 422,
    message: 'The receipt could not be delivered',
    data: z.object({ email: z.string() }),
    help: 'https://faultline.dev/errors/receipt-bounced',
  },
})

// registering the catalog makes tRPC's types carry its error shapes at almost no type-checking cost
declare module '@faultline/contract' {
  interface Register {
    errors: typeof errors
  }
}

/** Thrown by the (pretend) payment gateway; mapped to PAYMENT_DECLINED by a handler. */
export class GatewayDeclined extends Error {
  constructor(readonly reason: 'insufficient_funds' | 'card_expired' | 'do_not_honor') {
    super(`gateway declined: ${reason}`)
    this.name = 'GatewayDeclined'
  }
}

/** Thrown by the (pretend) mailer for addresses that bounce; mapped to RECEIPT_BOUNCED. */
export class MailboxBounced extends Error {
  constructor(readonly email: string) {
    super(`mailbox ${email} bounced`)
    this.name = 'MailboxBounced'
  }
}
