// A client of the API process over plain HTTP: each call of `place` is recorded with what the
// server answered, and a 503 is checked to be the typed error the contract promises.
import { parseEnvelope } from '@faultline/contract'
import type { Mode } from './faultline'

/** What one call of `place` got back. */
export type Answer =
  | { ref: string; mode: Mode; kind: 'queued'; taskId: string }
  /** A 503 answered as the contract says: a valid UNAVAILABLE envelope and a Retry-After header. */
  | { ref: string; mode: Mode; kind: 'unavailable' }
  /** The connection failed or the request timed out: no answer. */
  | { ref: string; mode: Mode; kind: 'dropped'; why: string }
  /** Anything else: another status, or a 503 that breaks the contract. */
  | { ref: string; mode: Mode; kind: 'wrong'; why: string }

export async function place(url: string, ref: string, mode: Mode): Promise<Answer> {
  let res: Response
  let body: unknown
  try {
    res = await fetch(`${url}/place`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ref, mode }),
      signal: AbortSignal.timeout(15_000),
    })
    body = await res.json()
  } catch (cause) {
    return { ref, mode, kind: 'dropped', why: String(cause) }
  }
  const wrong = (why: string): Answer => ({ ref, mode, kind: 'wrong', why: `${res.status}: ${why}` })
  if (res.status === 200) {
    const taskId = (body as { result?: { data?: { taskId?: unknown } } }).result?.data?.taskId
    return typeof taskId === 'string' ? { ref, mode, kind: 'queued', taskId } : wrong(JSON.stringify(body))
  }
  if (res.status !== 503) return wrong(JSON.stringify(body))
  const parsed = parseEnvelope((body as { error?: { data?: { error?: unknown } } }).error?.data?.error)
  if (!parsed.ok) return wrong(`not an envelope: ${parsed.reason}`)
  if (parsed.envelope.code !== 'UNAVAILABLE') return wrong(`code ${parsed.envelope.code}`)
  const retryAfter = res.headers.get('retry-after')
  if (!retryAfter || !/^\d+$/.test(retryAfter)) return wrong(`Retry-After is ${retryAfter}`)
  return { ref, mode, kind: 'unavailable' }
}

/**
 * `clients` loops calling `place` until `stop()`, each waiting `paceMs` between calls (so the
 * workers keep up); `modeOf(i)` picks each call's mode. `url()` is read for each call, so the API
 * may move (restarted on another port).
 */
export function load(opts: {
  url: () => string
  clients: number
  paceMs: number
  prefix: string
  modeOf?: (i: number) => Mode
}) {
  const answers: Answer[] = []
  // called on the turn each answer arrives, until it returns true
  let listeners: ((answer: Answer) => boolean)[] = []
  let stopped = false
  let n = 0
  const loops = Array.from({ length: opts.clients }, async () => {
    while (!stopped) {
      const i = n++
      const answer = await place(opts.url(), `${opts.prefix}-${i}`, opts.modeOf?.(i) ?? 'ok')
      answers.push(answer)
      listeners = listeners.filter((listener) => !listener(answer))
      // a refused or dropped call: the service is down or moving; wait a moment as a client would
      await new Promise((resolve) => setTimeout(resolve, answer.kind === 'queued' ? opts.paceMs : 50))
    }
  })
  return {
    answers,
    /** Calls `listener` with each answer as it arrives, until it returns true. */
    onAnswer(listener: (answer: Answer) => boolean) {
      listeners.push(listener)
    },
    async stop() {
      stopped = true
      await Promise.all(loops)
      return answers
    },
  }
}
