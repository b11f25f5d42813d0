// The BullMQ bench's tables, in markdown: tasks per second side by side, and Redis commands per task.
import { median } from '../stats'
import type { Timed } from './child'
import type { Side } from './sides'

/** One timed phase of one side's round, with what Redis did meanwhile. */
export interface PhaseResult extends Timed {
  commands: Map<string, number>
  redisCpuMicros: number
}
export type PhaseName = 'enqueue' | 'run'
export type Round = Record<PhaseName, PhaseResult>

const PHASES = ['enqueue', 'run', 'both'] as const
type Row = (typeof PHASES)[number]

/** A round's phase, or both phases of it added up. */
function phaseOf(round: Round, phase: Row): PhaseResult {
  if (phase !== 'both') return round[phase]
  const { enqueue, run } = round
  const commands = new Map(enqueue.commands)
  for (const [name, calls] of run.commands) commands.set(name, (commands.get(name) ?? 0) + calls)
  return {
    ms: enqueue.ms + run.ms,
    cpuMicros: enqueue.cpuMicros + run.cpuMicros,
    runs: enqueue.runs + run.runs,
    lines: enqueue.lines + run.lines,
    commands,
    redisCpuMicros: enqueue.redisCpuMicros + run.redisCpuMicros,
  }
}

const whole = (n: number) => Math.round(n).toLocaleString('en-US')
const spread = (xs: number[], format: (n: number) => string) =>
  `${format(median(xs))} (${format(Math.min(...xs))}–${format(Math.max(...xs))})`
// a difference with its sign, and no "-0.00"
const signed = (n: number) => (Math.abs(n) < 0.005 ? '0.00' : `${n > 0 ? '+' : ''}${n.toFixed(2)}`)
const total = (commands: Map<string, number>) => [...commands.values()].reduce((a, b) => a + b, 0)

/** Every command of a side's rounds, summed, per task. */
function perTask(rounds: Round[], phase: Row, tasks: number): Map<string, number> {
  const sum = new Map<string, number>()
  for (const round of rounds) {
    for (const [name, calls] of phaseOf(round, phase).commands) sum.set(name, (sum.get(name) ?? 0) + calls)
  }
  for (const [name, calls] of sum) sum.set(name, calls / (tasks * rounds.length))
  return sum
}

/** A markdown table, columns padded; numeric columns (`right`) aligned right. */
export function markdownTable(head: string[], rows: string[][], right: boolean[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`
  const rule = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
  return [line(head), rule, ...rows.map(line)].join('\n')
}

/**
 * Tasks per second of each side and their ratio, round by round; the CPU ratio (raw's node and
 * Redis CPU per task over Faultline's); CPU and Redis commands per task.
 */
export function ratesTable(results: Map<string, Record<Side, Round[]>>, tasks: number): string {
  const rows: string[][] = []
  for (const [outcome, sides] of results) {
    for (const phase of PHASES) {
      const of = (side: Side) => sides[side].map((round) => phaseOf(round, phase))
      const raw = of('raw')
      const faultline = of('faultline')
      const rate = (p: PhaseResult) => tasks / (p.ms / 1000)
      const ratios = faultline.map((f, i) => rate(f) / rate(raw[i] as PhaseResult))
      // what a task costs the node process and Redis together: steadier than tasks/s on a busy machine
      const cpu = (p: PhaseResult) => p.cpuMicros + p.redisCpuMicros
      const capacity = faultline.map((f, i) => cpu(raw[i] as PhaseResult) / cpu(f))
      const both = (value: (p: PhaseResult) => number, format: (n: number) => string) =>
        `${format(median(raw.map(value)))} / ${format(median(faultline.map(value)))}`
      rows.push([
        outcome,
        phase === 'both' ? 'enqueue + run' : phase,
        spread(raw.map(rate), whole),
        spread(faultline.map(rate), whole),
        spread(ratios, (n) => n.toFixed(2)),
        spread(capacity, (n) => n.toFixed(2)),
        both((p) => p.cpuMicros / tasks, whole),
        both((p) => p.redisCpuMicros / tasks, whole),
        `${total(perTask(sides.raw, phase, tasks)).toFixed(1)} / ${total(perTask(sides.faultline, phase, tasks)).toFixed(1)}`,
      ])
    }
  }
  return markdownTable(
    [
      'task',
      'phase',
      'raw tasks/s',
      'Faultline tasks/s',
      'ratio',
      'CPU ratio',
      'node CPU µs/task raw / Faultline',
      'Redis CPU µs/task raw / Faultline',
      'Redis commands/task raw / Faultline',
    ],
    rows,
    [false, false, true, true, false, false, true, true, true],
  )
}

/** For each task and phase, Redis commands per task by name, the commonest first. */
export function commandsTables(results: Map<string, Record<Side, Round[]>>, tasks: number, top: number): string {
  const out: string[] = []
  for (const [outcome, sides] of results) {
    for (const phase of ['enqueue', 'run'] as const) {
      const raw = perTask(sides.raw, phase, tasks)
      const faultline = perTask(sides.faultline, phase, tasks)
      const names = [...new Set([...raw.keys(), ...faultline.keys()])]
      const largest = (name: string) => Math.max(raw.get(name) ?? 0, faultline.get(name) ?? 0)
      names.sort((a, b) => largest(b) - largest(a))
      const row = (name: string, r: number, f: number) => [name, r.toFixed(2), f.toFixed(2), signed(f - r)]
      const rows = names.slice(0, top).map((name) => row(name, raw.get(name) ?? 0, faultline.get(name) ?? 0))
      const rest = names.slice(top)
      if (rest.length > 0) {
        const sum = (m: Map<string, number>) => rest.reduce((n, name) => n + (m.get(name) ?? 0), 0)
        rows.push(row(`${rest.length} others`, sum(raw), sum(faultline)))
      }
      rows.push(row('**all**', total(raw), total(faultline)))
      out.push(`Redis commands per task, task that ${outcome}, ${phase}:\n`)
      out.push(`${markdownTable(['command', 'raw', 'Faultline', 'added'], rows, [false, true, true, true])}\n`)
    }
  }
  return out.join('\n')
}
