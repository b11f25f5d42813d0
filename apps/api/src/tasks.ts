import { defineTask } from '@faultline/server'
import { z } from 'zod'
import { MailboxBounced } from './errors'

/** How long the pretend mailer takes; tests shorten it. */
export const mailer = { delayMs: 400 }

/**
 * Sends an order's receipt after the response has gone. Addresses at
 * bounce.test bounce: the failure is mapped to RECEIPT_BOUNCED and shown to
 * the client through the task's status.
 */
export const sendReceipt = defineTask({
  name: 'send-receipt',
  payload: z.object({ orderId: z.string(), email: z.string() }),
  timeoutMs: 10_000,
  async run({ email }, { signal }) {
    await new Promise((resolve) => setTimeout(resolve, mailer.delayMs))
    signal.throwIfAborted()
    if (email.endsWith('@bounce.test')) throw new MailboxBounced(email)
  },
})
