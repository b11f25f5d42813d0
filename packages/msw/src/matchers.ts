import { FaultlineClientError, fieldErrors } from '@faultline/client'

interface MatcherContext {
  isNot: boolean
  equals(a: unknown, b: unknown): boolean
  utils: { printExpected(value: unknown): string; printReceived(value: unknown): string }
}

interface MatcherResult {
  pass: boolean
  message: () => string
}

// a client error that may not have gone through faultlineLink (another copy, a streamed part) is rehydrated
function asFaultline(received: unknown): FaultlineClientError | undefined {
  if (!(received instanceof Error)) return undefined
  const name = received.name
  if (name !== 'FaultlineClientError' && name !== 'TRPCClientError') return undefined
  return FaultlineClientError.from(received)
}

function describeReceived(ctx: MatcherContext, received: unknown): string {
  const err = asFaultline(received)
  if (err) return `received envelope ${ctx.utils.printReceived(err.envelope)}`
  if (received instanceof Error) return `received ${received.name}: ${received.message} (not a tRPC client error)`
  return `received ${ctx.utils.printReceived(received)} (not an error)`
}

/**
 * Matchers for Faultline errors; `import '@faultline/msw/vitest'` registers them.
 * Each works on an error and after `.rejects`.
 */
export const faultlineMatchers = {
  /** The error is a Faultline error of `code`, with `details` equal to the given ones when given. */
  toBeFaultlineError(this: MatcherContext, received: unknown, code: string, details?: unknown): MatcherResult {
    const err = asFaultline(received)
    const pass = err !== undefined && err.code === code && (details === undefined || this.equals(err.details, details))
    const expected = details === undefined ? { code } : { code, details }
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? 'not ' : ''}a Faultline error ${this.utils.printExpected(expected)}\n${describeReceived(this, received)}`,
    }
  },

  /** The error carries a field error for `field` (dotted path), optionally with a message matching `message`. */
  toHaveFieldError(this: MatcherContext, received: unknown, field: string, message?: string | RegExp): MatcherResult {
    const messages = fieldErrors(received)[field] ?? []
    const pass =
      messages.length > 0 &&
      (message === undefined || messages.some((m) => (typeof message === 'string' ? m === message : message.test(m))))
    const wanted = message === undefined ? field : `${field}: ${String(message)}`
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? 'no ' : ''}field error ${this.utils.printExpected(wanted)}; field errors were ${this.utils.printReceived({ ...fieldErrors(received) })}\n${describeReceived(this, received)}`,
    }
  },

  /** The error says the call may be retried, after `afterMs` when given. */
  toBeRetryable(this: MatcherContext, received: unknown, afterMs?: number): MatcherResult {
    const err = asFaultline(received)
    const pass = err?.retry.retryable === true && (afterMs === undefined || err.retry.afterMs === afterMs)
    return {
      pass,
      message: () =>
        `expected ${this.isNot ? 'not ' : ''}a retryable error${afterMs === undefined ? '' : ` after ${afterMs} ms`}\n${describeReceived(this, received)}`,
    }
  },
}

/** The matchers' types, for `expect(…)` and `expect(…).rejects`. */
export interface FaultlineMatchers<R = unknown> {
  toBeFaultlineError(code: string, details?: unknown): R
  toHaveFieldError(field: string, message?: string | RegExp): R
  toBeRetryable(afterMs?: number): R
}
