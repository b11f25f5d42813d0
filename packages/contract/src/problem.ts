import type { AnyEnvelope } from './envelope'

/** An RFC 9457 problem details object, with the envelope's members as extensions. */
export interface ProblemDetails {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  code: string
  requestId?: string
  traceId?: string
  data?: unknown
  issues?: AnyEnvelope['issues']
  retry?: AnyEnvelope['retry']
  errors?: { detail: string; pointer: string; code: string }[]
}

/** Media type of an RFC 9457 body. */
export const PROBLEM_JSON = 'application/problem+json'

/**
 * Renders an envelope as RFC 9457 problem details, for surfaces outside tRPC.
 * `type` is the code's help URL when it has one, else a stable URN of the code;
 * `title` is the code's default message when given, else the envelope's message.
 */
export function toProblemDetails(
  envelope: AnyEnvelope,
  opts: { title?: string; instance?: string } = {},
): ProblemDetails {
  const problem: ProblemDetails = {
    type: envelope.help ?? `urn:faultline:error:${envelope.code}`,
    title: opts.title ?? envelope.message,
    status: envelope.status,
    detail: envelope.message,
    code: envelope.code,
    retry: envelope.retry,
  }
  if (opts.instance !== undefined) problem.instance = opts.instance
  if (envelope.requestId !== undefined) problem.requestId = envelope.requestId
  if (envelope.traceId !== undefined) problem.traceId = envelope.traceId
  if (envelope.data !== undefined) problem.data = envelope.data
  if (envelope.issues) {
    problem.issues = envelope.issues
    // RFC 9457 §3: validation errors as a list of details with JSON Pointers
    problem.errors = envelope.issues.map((i) => ({ detail: i.message, pointer: `#${i.pointer}`, code: i.code }))
  }
  return problem
}
