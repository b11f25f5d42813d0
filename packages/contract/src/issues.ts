/** One field-level problem, as a form binds to it. */
export interface Issue {
  /** Where the problem is, as keys and indexes from the input's root. */
  path: (string | number)[]
  /** The same place as an RFC 6901 JSON Pointer (`''` is the root). */
  pointer: string
  /** The validator's issue code, such as `invalid_type`; `invalid` when it gave none. */
  code: string
  /** A human-readable message. */
  message: string
}

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` in each segment. */
export function toJsonPointer(path: readonly (string | number)[]): string {
  let out = ''
  for (const segment of path) out += `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`
  return out
}

/** Issues grouped by dotted path (`address.street`, `items.0.qty`), the way form libraries name fields. */
export function groupIssuesByField(issues: readonly Issue[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null)
  for (const issue of issues) {
    const key = issue.path.join('.')
    const messages = out[key]
    if (messages) messages.push(issue.message)
    else out[key] = [issue.message]
  }
  return out
}
