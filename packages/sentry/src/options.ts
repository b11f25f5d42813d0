import { type AnyCatalog, getDefinition, type inferCodes, isValidCode } from '@faultline/contract'
import type { ReportEvent } from '@faultline/server'

/** A `report` hook, as `createFaultline` takes it. */
export type ReportHook = (event: ReportEvent) => void | Promise<void>

/** Options of `sentryReport`. */
export interface SentryReportOptions<TCatalog extends AnyCatalog = AnyCatalog> {
  /** The app's catalog: when given, `sendExpected` is checked against its codes. */
  errors?: TCatalog
  /**
   * Expected (handled) failures to send as well, as codes or a predicate. Crashes are always
   * sent; expected failures are not by default, so a NOT_FOUND never pages anyone.
   */
  sendExpected?: readonly inferCodes<TCatalog>[] | ((event: ReportEvent) => boolean)
  /** The issue grouping. Default: crashes by stack trace and code, expected failures by code alone. */
  fingerprint?: (event: ReportEvent) => string[]
  /** Another report hook, called for every failure after Sentry's capture, whatever became of it. */
  next?: ReportHook
}

/** The options, checked once. */
export interface ResolvedOptions {
  sendExpected: (event: ReportEvent) => boolean
  fingerprint: ((event: ReportEvent) => string[]) | undefined
  next: ReportHook | undefined
}

function fail(what: string): never {
  throw new TypeError(`sentryReport: ${what}`)
}

function codeFilter(catalog: AnyCatalog | undefined, codes: readonly unknown[]): (event: ReportEvent) => boolean {
  for (const code of codes) {
    if (typeof code !== 'string' || !isValidCode(code)) {
      fail(`sendExpected lists ${JSON.stringify(code) ?? String(code)}, which is not a code (UPPER_SNAKE_CASE)`)
    }
    if (catalog && !getDefinition(catalog, code)) fail(`sendExpected lists ${code}, which the catalog does not define`)
  }
  const set = new Set(codes)
  return (event) => set.has(event.code)
}

/** The options as checked at run time, whatever catalog typed them. */
interface UncheckedOptions {
  errors?: AnyCatalog
  sendExpected?: readonly string[] | ((event: ReportEvent) => boolean)
  fingerprint?: (event: ReportEvent) => string[]
  next?: ReportHook
}

/** Checks the options; bad ones throw a TypeError naming what is wrong. */
export function resolveOptions(options: UncheckedOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const { errors, sendExpected, fingerprint, next } = options
  if (errors !== undefined && (typeof errors !== 'object' || errors === null || !('definitions' in errors))) {
    fail('errors must be a catalog made by defineErrors')
  }
  let filter: (event: ReportEvent) => boolean = () => false
  if (typeof sendExpected === 'function') filter = sendExpected
  else if (Array.isArray(sendExpected)) filter = codeFilter(errors, sendExpected)
  else if (sendExpected !== undefined) fail('sendExpected must be a list of codes or a function of the event')
  if (fingerprint !== undefined && typeof fingerprint !== 'function') fail('fingerprint must be a function')
  if (next !== undefined && typeof next !== 'function') fail('next must be a report hook (a function)')
  return { sendExpected: filter, fingerprint, next }
}
