// pnpm bench:instructions: instructions per call of each path, plain tRPC against Faultline,
// counted by callgrind in process (tRPC's fetch adapter on a Request, or createCaller; no sockets).
// See BENCHMARKS.md, "Instruction counts", for the method.
//
// CASES (comma-separated names, see instructions/cases.ts), TRANSFORMERS (json,superjson), ROUNDS
// (mixed warm-up rounds, default 300), FOCUS (warm-up calls of a case before its window, default
// 1000), COUNTED (calls in a window, default 300) and JOBS (processes at once, default the number
// of CPUs) narrow or change the run; CHECK=1 exits non-zero when a budget is missed; OUT (a
// folder, default bench/.generated/instructions) is where the callgrind files and results.json go.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { annotate, groups, selfDifferences } from './instructions/breakdown'
import { readProfile } from './instructions/callgrind'
import { BUDGETS, CASE_NAMES, CASES, type CaseName, TASK_GC_BUDGET } from './instructions/cases'
import { type Job, type JobResult, type Measured, NODE_FLAGS, runJob } from './instructions/run'
import { bundleForNode } from './node-bundle'

const started = Date.now()
const env = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!(Number.isInteger(value) && value >= 0)) fail(`${name} must be a whole number; got ${process.env[name]}`)
  return value
}
function fail(message: string): never {
  console.error(`bench:instructions: ${message}`)
  process.exit(1)
}
const ROUNDS = env('ROUNDS', 300)
const FOCUS = env('FOCUS', 1000)
const COUNTED = env('COUNTED', 300) || fail('COUNTED must be at least 1')
const JOBS = env('JOBS', availableParallelism()) || 1
const chosen = (process.env.CASES?.split(',').filter(Boolean) ?? CASE_NAMES) as CaseName[]
for (const name of chosen) if (!(name in CASES)) fail(`unknown case ${name}; known: ${CASE_NAMES.join(', ')}`)
const transformers = (process.env.TRANSFORMERS?.split(',') ?? ['json', 'superjson']) as ('json' | 'superjson')[]
for (const t of transformers) if (t !== 'json' && t !== 'superjson') fail(`unknown transformer ${t}`)

ensureValgrind()

const root = new URL('../', import.meta.url).pathname
const outDir = process.env.OUT ?? `${root}.generated/instructions`
mkdirSync(outDir, { recursive: true })
// the worker runs as one bundled JavaScript file on plain node, as a deployed app does (no
// TypeScript loader, no source maps, which make every stack trace dearer)
const worker = `${outDir}/worker.mjs`
await bundleForNode(new URL('./instructions/worker.ts', import.meta.url), worker)

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU'
const valgrindVersion = execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim()
console.log(`Node ${process.version}, ${availableParallelism()} × ${cpu}, ${valgrindVersion}`)
console.log(
  `${ROUNDS} mixed warm-up rounds, ${FOCUS} warm-up calls of each case, ${COUNTED} counted calls; node ${NODE_FLAGS.join(' ')}`,
)

// one process per side and transformer; Faultline's first (they take longest)
const jobs: Job[] = []
for (const side of ['faultline', 'plain'] as const) {
  for (const transformer of transformers) {
    const cases = chosen.filter((name) => (CASES[name].transformers as readonly string[]).includes(transformer))
    if (cases.length) jobs.push({ side, transformer, cases, rounds: ROUNDS, focus: FOCUS, counted: COUNTED })
  }
}
const results: JobResult[] = []
let failed = false
const queue = [...jobs]
await Promise.all(
  Array.from({ length: Math.min(JOBS, jobs.length) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      console.log(`${job.side} ${job.transformer}: ${job.cases.length} cases`)
      try {
        const result = await runJob(worker, job, outDir, (line) => console.log(line))
        console.log(`${job.side} ${job.transformer}: done in ${result.seconds.toFixed(0)} s`)
        results.push(result)
      } catch (error) {
        failed = true
        console.error(`bench:instructions: ${(error as Error).message}`)
      }
    }
  }),
)
if (failed) fail('a worker failed (see above)')

const k = (n: number) => Math.round(n).toLocaleString('en-US')
const resultOf = (side: 'plain' | 'faultline', transformer: string) =>
  results.find((r) => r.job.side === side && r.job.transformer === transformer) as JobResult

/** Instructions of a call's own work: the compiler and full collections left out (see BENCHMARKS.md). */
const steady = (c: Measured['perCall']) => c.total - c.compiler - c.fullGc
interface Row {
  name: CaseName
  transformer: string
  plain: Measured
  faultline: Measured
  /** Faultline's steady instructions over plain tRPC's. */
  ratio: number
  added: number
  budget: number
  met: boolean
}
const rows: Row[] = []
for (const name of chosen) {
  for (const transformer of transformers) {
    const plain = resultOf('plain', transformer)?.cases.get(name)
    const faultline = resultOf('faultline', transformer)?.cases.get(name)
    if (!plain || !faultline) continue
    const ratio = steady(faultline.perCall) / steady(plain.perCall)
    const budget = BUDGETS[CASES[name].budget]
    const added = steady(faultline.perCall) - steady(plain.perCall)
    rows.push({ name, transformer, plain, faultline, ratio, added, budget, met: ratio <= budget })
  }
}

/** A markdown table, the first `left` columns aligned left and the rest right. */
function printTable(header: string[], body: string[][], left = 2) {
  const all = [header, ...body]
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)))
  const line = (row: string[]) =>
    `| ${row.map((cell, i) => (i < left ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`
  console.log(line(header))
  console.log(`| ${widths.map((w, i) => (i < left ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`)
  for (const row of body) console.log(line(row))
}

console.log(
  `\nInstructions per call, ${COUNTED} calls counted after warm-up. GC: young and full collections; steady: total less compiler and full collections; ratio and added: steady, Faultline over plain tRPC\n`,
)
printTable(
  [
    'path',
    'transformer',
    'plain total',
    'GC',
    'compiler',
    'steady',
    'Faultline total',
    'GC',
    'compiler',
    'steady',
    'added',
    'ratio',
    'budget',
  ],
  rows.map((r) => [
    CASES[r.name].label,
    r.transformer,
    ...[r.plain, r.faultline].flatMap((m) => [
      k(m.perCall.total),
      k(m.perCall.gc),
      k(m.perCall.compiler),
      k(steady(m.perCall)),
    ]),
    k(r.added),
    r.ratio.toFixed(2),
    `${r.budget.toFixed(2)} ${r.met ? 'met' : 'MISSED'}`,
  ]),
)

console.log(
  '\nPer call: full collections (instructions), the young-generation collection that ends each window, bytes promoted to the old generation; per window: scavenges, mark-compacts, functions TurboFan compiled, deoptimizations\n',
)
printTable(
  [
    'path',
    'transformer',
    'side',
    'full GC',
    'final scavenge',
    'promoted B',
    'scavenges',
    'mark-compacts',
    'optimized',
    'deopts',
  ],
  rows.flatMap((r) =>
    (['plain', 'faultline'] as const).map((side) => {
      const { perCall: c, events: e } = r[side]
      return [
        CASES[r.name].label,
        r.transformer,
        side,
        k(c.fullGc),
        k(c.finalCollection),
        k(c.promotedBytes),
        String(e.scavenges),
        String(e.markCompacts),
        String(e.optimized),
        String(e.deoptimized),
      ]
    }),
  ),
  3,
)

// the failing task's other budget: garbage collection per task
for (const r of rows.filter((row) => CASES[row.name].budget === 'failing task')) {
  const young = (m: Measured) => m.perCall.gc - m.perCall.fullGc
  const within = young(r.faultline) <= TASK_GC_BUDGET
  console.log(
    `GC per failing task, ${CASES[r.name].label}, ${r.transformer}: Faultline ${k(young(r.faultline))} young-generation (plain tRPC ${k(young(r.plain))}), ${k(r.faultline.perCall.promotedBytes)} bytes promoted (plain tRPC ${k(r.plain.perCall.promotedBytes)}); budget ${k(TASK_GC_BUDGET)}: ${within ? 'met' : 'MISSED'}`,
  )
}
const helpers = results.map((r) => `${r.job.side} ${r.job.transformer} ${k(r.helperThreads)}`).join(', ')
console.log(`Instructions on helper threads, all windows together: ${helpers}`)

// where the failing task's instructions go, Faultline against plain tRPC
const breakdown: Record<string, unknown> = {}
for (const name of ['taskFailsCaller', 'taskFails'] as const) {
  const transformer = transformers.includes('json') ? 'json' : transformers[0]
  const f = transformer && resultOf('faultline', transformer)?.cases.get(name)
  const p = transformer && resultOf('plain', transformer)?.cases.get(name)
  if (!f || !p) continue
  const fp = readProfile(f.file)
  const pp = readProfile(p.file)
  const fg = groups(fp, COUNTED)
  const pg = groups(pp, COUNTED)
  const byGroup = fg
    .map((g) => {
      const plain = pg.find((x) => x.group === g.group)?.instructions ?? 0
      return {
        group: g.group,
        plain: Math.round(plain),
        faultline: Math.round(g.instructions),
        added: Math.round(g.instructions - plain),
      }
    })
    .sort((a, b) => b.added - a.added)
  const functions = selfDifferences(fp, pp, COUNTED, 25).map((r) => ({
    name: r.name,
    plain: Math.round(r.plain),
    faultline: Math.round(r.faultline),
    added: Math.round(r.added),
  }))
  const inclusive = (await annotate(f.file, COUNTED, 40)).map((r) => ({
    name: r.name,
    inclusive: Math.round(r.inclusive),
  }))
  breakdown[`${name}.${transformer}`] = { byGroup, functions, inclusive }
  console.log(`\nWhere the instructions go: ${CASES[name].label}, ${transformer} (per call)`)
  console.table(byGroup)
  console.log('Functions by their own instructions, largest differences:')
  console.table(functions)
  console.log("callgrind_annotate --inclusive=yes, Faultline's window, top functions:")
  console.table(inclusive.slice(0, 25))
}

const seconds = (Date.now() - started) / 1000
writeFileSync(
  `${outDir}/results.json`,
  `${JSON.stringify({ node: process.version, cpu, valgrind: valgrindVersion, rounds: ROUNDS, focus: FOCUS, counted: COUNTED, flags: NODE_FLAGS, seconds, rows: rows.map((r) => ({ ...r, plain: r.plain.perCall, faultline: r.faultline.perCall })), jobs: results.map((r) => ({ side: r.job.side, transformer: r.job.transformer, seconds: r.seconds, helperThreads: r.helperThreads, events: Object.fromEntries([...r.cases].map(([n, m]) => [n, m.events])) })), breakdown }, null, 2)}\n`,
)
console.log(
  `\nThe whole count took ${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s; details in ${outDir}/results.json`,
)
if (process.env.CHECK === '1' && rows.some((r) => !r.met)) fail('budgets missed (see the table)')

/** valgrind with callgrind, installed from Debian's package when missing. */
function ensureValgrind() {
  const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0
  if (has('valgrind') && has('callgrind_control') && has('stdbuf')) return
  console.log('valgrind is missing: installing Debian’s valgrind package')
  // as root, apt-get itself; otherwise through sudo
  const prefix = process.getuid?.() === 0 ? [] : ['sudo']
  const apt = (args: string[]) => {
    const [cmd = 'apt-get', ...rest] = [...prefix, 'apt-get', ...args]
    return (
      spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status ===
      0
    )
  }
  if (!(apt(['update']) && apt(['install', '-y', 'valgrind', 'coreutils']))) fail('could not install valgrind')
  if (!has('valgrind') || !has('callgrind_control')) fail('valgrind is still missing after installing it')
}
