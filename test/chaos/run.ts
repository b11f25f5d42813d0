// The full chaos run: every scenario at full size, RUNS times each (default 3), then a markdown
// table of the figures summed per scenario. Run: pnpm chaos. ONLY=poison,api-kill narrows it.
// Exits 1 when any scenario lost, left stuck, reported twice or left unreported a task, answered
// a 503 for a task that ran without the runner logging it, answered anything else, or saw a process
// crash. What the after-response API kill loses is counted, not failed: that is the window the
// default closes.
import { violations } from './accounting'
import { killAll } from './child'
import { apiKill, duplicateDelivery, poison, type Run, redisRestart, workerKill, workerKilledTwice } from './scenarios'

const SCENARIOS: Record<string, () => Promise<Run>> = {
  'worker-kill': () => workerKill({ kills: 6, clients: 3 }),
  'worker-killed-twice': () => workerKilledTwice(),
  'redis-restart': () => redisRestart({ restarts: 4, clients: 4, upMs: 2_000 }),
  'api-kill': () => apiKill({ kills: 5, clients: 4, durability: 'before-response' }),
  'api-kill-after-response': () => apiKill({ kills: 5, clients: 4, durability: 'after-response' }),
  poison: () => poison({ tasks: 200, poison: 6 }),
  'duplicate-delivery': () => duplicateDelivery({ freezes: 3, clients: 3, frozenMs: 2_500 }),
}

/** Figures of a scenario that are counted, not failed (see above). */
const KNOWN: Record<string, Partial<ReturnType<typeof violations>>> = {
  'api kill (after-response)': { lost: 0 },
}

const runs = Number(process.env.RUNS ?? 3)
if (!Number.isInteger(runs) || runs < 1) throw new TypeError(`chaos: RUNS must be a whole number of at least 1`)
const only = process.env.ONLY?.split(',') ?? Object.keys(SCENARIOS)
for (const name of only) {
  if (!SCENARIOS[name]) throw new TypeError(`chaos: ONLY lists ${Object.keys(SCENARIOS).join(', ')}; got ${name}`)
}

const results: Run[] = []
const began = Date.now()
try {
  for (let i = 0; i < runs; i++) {
    for (const name of only) {
      const run = await SCENARIOS[name]?.()
      if (!run) continue
      results.push(run)
      const f = run.figures
      console.error(
        `${run.scenario} #${i + 1}: ${f.queued} queued, ${f.unavailable} 503s, ${f.dropped} dropped; ` +
          `${JSON.stringify(violations(f))} in ${(run.ms / 1000).toFixed(1)} s`,
      )
      for (const problem of f.problems) console.error(`  ${problem}`)
    }
  }
} finally {
  await killAll()
}

const columns = [
  'scenario',
  'runs',
  'N tasks',
  'succeeded',
  'failed',
  'K worker kills',
  'freezes',
  'R Redis restarts',
  'A API kills',
  'lost',
  'stuck',
  'duplicate reports',
  'unreported',
  'unrun reports',
  'phantoms',
  'silent phantoms',
  '503s',
  'dropped',
  'wrong answers',
  'crashed',
  'time',
]
const rows: string[][] = []
let failed = false
for (const scenario of [...new Set(results.map((r) => r.scenario))]) {
  const of = results.filter((r) => r.scenario === scenario)
  const sum = (pick: (r: Run) => number) => of.reduce((n, r) => n + pick(r), 0)
  const lost = sum((r) => r.figures.lost)
  const must = sum((r) => {
    const v = violations(r.figures)
    const counted = { ...v, ...KNOWN[scenario] }
    return Object.values(counted).reduce((a, b) => a + b, 0)
  })
  if (must > 0) failed = true
  rows.push([
    scenario,
    String(of.length),
    String(sum((r) => r.figures.queued)),
    String(sum((r) => r.figures.succeeded)),
    String(sum((r) => r.figures.failed + r.figures.interrupted)),
    String(sum((r) => r.workerKills)),
    String(sum((r) => r.freezes)),
    String(sum((r) => r.redisRestarts)),
    String(sum((r) => r.apiKills)),
    String(lost),
    String(sum((r) => r.figures.stuck)),
    String(sum((r) => r.figures.duplicateReports)),
    String(sum((r) => r.figures.unreported)),
    String(sum((r) => r.figures.unrunReports)),
    String(sum((r) => r.figures.phantoms)),
    String(sum((r) => r.figures.silentPhantoms)),
    String(sum((r) => r.figures.unavailable)),
    String(sum((r) => r.figures.dropped)),
    String(sum((r) => r.figures.wrongAnswers)),
    String(sum((r) => r.figures.crashed)),
    `${(sum((r) => r.ms) / 1000).toFixed(0)} s`,
  ])
}
console.log(`| ${columns.join(' | ')} |`)
console.log(`| ${columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`)
for (const row of rows) console.log(`| ${row.join(' | ')} |`)
console.log(`\n${results.length} runs in ${((Date.now() - began) / 1000).toFixed(0)} s`)
process.exit(failed ? 1 : 0)
