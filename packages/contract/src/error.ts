const BRAND = Symbol.for('faultline.error')

/** Options every catalog constructor takes besides the code's data. */
export interface FaultlineErrorOptions {
  /** Replaces the code's default message; sent to clients, so keep it safe to show. */
  message?: string
  /** The underlying error; logged, never sent in `safe` exposure. */
  cause?: unknown
  /** Response headers this error needs, such as `WWW-Authenticate`. */
  headers?: Readonly<Record<string, string>>
  /** When the client may retry; also sets `Retry-After` when no header is given. */
  retryAfterMs?: number
}

/**
 * A catalog error: thrown on the server, it becomes the envelope of its code.
 * Built by a catalog's constructors (`errors.USER_NOT_FOUND({ userId })`).
 */
export class FaultlineError<TCode extends string = string, TData = unknown> extends Error {
  /** The catalog code, the stable contract clients match on. */
  readonly code: TCode
  /** The code's data, checked against its schema by the server before it is sent. */
  readonly data: TData
  /** Response headers this error carries. */
  readonly headers: Readonly<Record<string, string>> | undefined
  /** The retry delay this error suggests, in milliseconds. */
  readonly retryAfterMs: number | undefined
  /** Identifies Faultline errors across package copies and realms, where `instanceof` fails. */
  readonly [BRAND] = true

  constructor(opts: { code: TCode; message: string; data: TData } & Omit<FaultlineErrorOptions, 'message'>) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'FaultlineError'
    this.code = opts.code
    this.data = opts.data
    this.headers = opts.headers
    this.retryAfterMs = opts.retryAfterMs
  }

  /** Whether a value is a `FaultlineError`, even from another copy of this package. */
  static is(value: unknown): value is FaultlineError {
    try {
      return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
    } catch {
      // a Proxy may throw on every trap; it is not one of ours
      return false
    }
  }
}
