// What each chaos process did, as JSON lines in a file of its own: written with appendFileSync, so
// a process killed with SIGKILL has lost nothing it wrote. The scenario reads them all back.
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One line of a process's journal. */
export type JournalEvent =
  | { kind: 'start' | 'done'; taskId: string; attempt: number; ref: string; mode: string; pid: number }
  | { kind: 'report'; source: string; code: string; taskId?: string; attempt?: number; pid: number }
  | { kind: 'log'; level: string; msg: string; code?: unknown; taskId?: unknown; pid: number }

type Unstamped<T> = T extends unknown ? Omit<T, 'pid'> : never

/** Appends this process's events to `<dir>/<role>-<pid>.jsonl`. */
export function openJournal(dir: string, role: string) {
  const file = join(dir, `${role}-${process.pid}.jsonl`)
  return (event: Unstamped<JournalEvent>) => {
    appendFileSync(file, `${JSON.stringify({ ...event, pid: process.pid })}\n`)
  }
}

/** Every event of every process that wrote to `dir`; a torn last line (a kill mid-write) is skipped. */
export function readJournals(dir: string): JournalEvent[] {
  const events: JournalEvent[] = []
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.jsonl')) continue
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (!line) continue
      try {
        events.push(JSON.parse(line) as JournalEvent)
      } catch {
        // only the line a kill cut short
      }
    }
  }
  return events
}
