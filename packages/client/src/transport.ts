/** How much of a response body a transport error keeps. */
export const MAX_BODY_CHARS = 2048

/**
 * Thrown by `faultlineFetch` for a response tRPC could not read: it carries the
 * HTTP status and the start of the raw body, which tRPC's links otherwise lose.
 */
export class TransportFailure extends Error {
  // declared, not initialised: the constructor sets them (see FaultlineClientError)
  declare readonly status: number
  declare readonly body: string
  declare readonly contentType: string | undefined

  constructor(opts: { status: number; body: string; contentType: string | undefined }) {
    super(`Unexpected ${opts.status} response${opts.contentType ? ` (${opts.contentType})` : ''} from the server`)
    this.name = 'TransportFailure'
    this.status = opts.status
    this.body = truncate(opts.body)
    this.contentType = opts.contentType
  }
}

/**
 * Whether a value is a `TransportFailure`, even from another copy of this
 * package. Checked by its fields alone, which every instance has: the client
 * error path then needs no reference to the class, and a bundle without
 * `faultlineFetch` leaves it out.
 */
export function isTransportFailure(value: unknown): value is TransportFailure {
  const v = value as Partial<TransportFailure> | null
  return (
    value instanceof Error &&
    v?.name === 'TransportFailure' &&
    typeof v.status === 'number' &&
    typeof v.body === 'string'
  )
}

/** Keeps the start of a long text, saying how much was cut. */
export function truncate(text: string): string {
  return text.length > MAX_BODY_CHARS
    ? `${text.slice(0, MAX_BODY_CHARS)}… (${text.length - MAX_BODY_CHARS} more)`
    : text
}

// Reads at most `limit` bytes and cancels the rest: a proxy's error page can be large.
async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let bytes = 0
  try {
    while (bytes < limit) {
      const { done, value } = await reader.read()
      if (done) return text + decoder.decode()
      bytes += value.byteLength
      text += decoder.decode(value, { stream: true })
    }
    await reader.cancel()
  } catch {
    // a body that fails mid-read is kept as far as it came
  }
  return text
}

// 1 MiB; a literal, so bundles without `faultlineFetch` drop it
const ERROR_BODY_LIMIT = 1_048_576

/** Request options as tRPC's links pass them (`signal` may be `undefined`). */
export type FetchInit = Omit<RequestInit, 'signal'> & { signal?: AbortSignal | null | undefined }
/** A `fetch` as tRPC's HTTP links call it. */
export type FetchFn = (input: RequestInfo | URL | string, init?: FetchInit) => Promise<Response>

/**
 * Wraps `fetch` for tRPC's HTTP links so a response that is not tRPC JSON
 * (a proxy's HTML page, an empty 502, truncated JSON) fails with a
 * `TransportFailure` carrying its status and body. Successful JSON and
 * streams pass through; a 2xx labelled JSON that does not parse fails the same way.
 *
 * @example
 * httpBatchLink({ url, fetch: faultlineFetch() })
 */
export function faultlineFetch(base?: FetchFn): FetchFn {
  return async (input, init) => {
    const res = await (base ?? globalThis.fetch)(input, init && { ...init, signal: init.signal ?? null })
    const contentType = res.headers.get('content-type') ?? undefined
    if (contentType?.includes('text/event-stream')) return res
    const isJson = contentType !== undefined && /json/i.test(contentType)
    const fail = (body: string) => new TransportFailure({ status: res.status, body, contentType })
    if (isJson && res.ok) {
      // still parsed once, by tRPC; a 2xx whose body is not JSON (cut off, empty) keeps its status and body
      res.json = async () => {
        const text = await res.text()
        try {
          return JSON.parse(text)
        } catch {
          throw fail(text)
        }
      }
      return res
    }
    // a JSON error body is read whole, as tRPC would; anything else only as far as a diagnosis needs
    const text = isJson ? await res.text() : await readCapped(res, ERROR_BODY_LIMIT)
    try {
      // tRPC answers some early failures as text/plain; JSON is JSON whatever the label says
      JSON.parse(text)
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers })
    } catch {
      throw fail(text)
    }
  }
}
