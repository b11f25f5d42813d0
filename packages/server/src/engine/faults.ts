import { describe } from './inspect'
import type { Logger, ReportEvent } from './log'

/**
 * What can fail around a failure: the pieces an app plugs in, and the task
 * machinery. Faultline catches each of these so a request still gets its envelope.
 */
export type FaultKind = 'logger' | 'report' | 'handler' | 'hook' | 'transformer' | 'tasks'

/** What `fl.faults()` returns: how many times each piece has failed since the instance was created. */
export interface Faults {
  /** A logger method threw. */
  logger: number
  /** The `report` hook threw or its promise rejected. */
  report: number
  /** An error handler (`handle(...)` or `validation.map`) threw or returned something other than a catalog error. */
  handler: number
  /** Another app callback threw: `traceId`, the `onError` given to `fl.adapter()`, a `fl.tasks.watch` listener. */
  hook: number
  /** The transformer (JSON when none is given) could not serialize an error's data. */
  transformer: number
  /** The task machinery failed: its store (a record not saved or read), its runner (tasks not taken, a failed drain). */
  tasks: number
  /** Report calls whose promise has not settled yet; a number that only grows means a hook that hangs. */
  reportsPending: number
}

const WHAT: Record<FaultKind, string> = {
  logger: 'the logger threw',
  report: 'the report hook failed',
  handler: 'an error handler failed',
  hook: 'an app hook threw',
  transformer: 'the transformer could not serialize error data',
  tasks: 'the task store or runner failed',
}

function printLine(line: string): void {
  try {
    if (typeof process !== 'undefined' && process.stderr) process.stderr.write(`${line}\n`)
    else console.error(line)
  } catch {
    // stderr itself is gone: the count is all that is left
  }
}

/**
 * Counts faults per kind, and prints one line on stderr the first time each
 * kind happens (not through the logger, which may be the broken piece).
 */
export function createFaultCounter(print: (line: string) => void = printLine) {
  const counts: Record<FaultKind, number> = { logger: 0, report: 0, handler: 0, hook: 0, transformer: 0, tasks: 0 }
  const printed = new Set<FaultKind>()
  let reportsPending = 0

  const note = (kind: FaultKind, cause: unknown): void => {
    counts[kind]++
    if (printed.has(kind)) return
    printed.add(kind)
    const { name, message } = describe(cause)
    print(
      `faultline: ${WHAT[kind]} (${name}: ${message}); counted by fl.faults().${kind}, later ${kind} faults are not printed`,
    )
  }

  return {
    note,
    snapshot: (): Faults => ({ ...counts, reportsPending }),
    /** The logger, each method guarded: a throw is counted and never escapes. */
    guardLogger(logger: Logger): Logger {
      const at =
        (level: keyof Logger) =>
        (obj: object, msg: string): void => {
          try {
            logger[level](obj, msg)
          } catch (cause) {
            note('logger', cause)
          }
        }
      return { info: at('info'), warn: at('warn'), error: at('error') }
    },
    /** The report hook, counted: throws and rejections are counted and passed on, unsettled promises tracked. */
    countReport(report: (event: ReportEvent) => void | Promise<void>) {
      return (event: ReportEvent): void | Promise<void> => {
        let pending: void | Promise<void>
        try {
          pending = report(event)
        } catch (cause) {
          note('report', cause)
          throw cause
        }
        if (pending && typeof pending.then === 'function') {
          try {
            pending.then(
              () => {
                reportsPending--
              },
              (cause: unknown) => {
                reportsPending--
                note('report', cause)
              },
            )
          } catch (cause) {
            note('report', cause)
            throw cause
          }
          reportsPending++
        }
        return pending
      }
    },
  }
}

export type FaultCounter = ReturnType<typeof createFaultCounter>
