// HTTP runtime: plain tRPC and tRPC with Faultline, the same router, each in its
// own process, loaded alternately with autocannon. Run: pnpm bench:http.
import { type ChildProcess, fork } from 'node:child_process'
import autocannon from 'autocannon'
import superjson from 'superjson'

type Mode = 'plain' | 'faultline'
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const SECONDS = Number(process.env.SECONDS ?? 3)
const CONNECTIONS = (process.env.CONNECTIONS ?? '10,100').split(',').map(Number)

const q = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`
const batchPaths = ['ok', 'declared', 'crash', 'validate', 'ok', 'declared', 'ok', 'crash', 'validate', 'ok']
const batchInput = Object.fromEntries(
  batchPaths.map((p, i) => [i, superjson.serialize(p === 'validate' ? { email: 'nope', age: 1.5 } : undefined)]),
)

const SCENARIOS: Record<string, { method?: string; path: string; body?: string }> = {
  success: { path: '/ok' },
  'declared error': { path: '/declared' },
  'unknown crash': { path: '/crash' },
  'validation failure': { path: `/validate${q({ email: 'nope', age: 1.5 })}` },
  '10-call mixed batch': {
    path: `/${batchPaths.join(',')}?batch=1&input=${encodeURIComponent(JSON.stringify(batchInput))}`,
  },
  'mutation queuing a failing task': {
    method: 'POST',
    path: '/queue',
    body: JSON.stringify(superjson.serialize(undefined)),
  },
}

function start(mode: Mode): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(new URL('./http-server.ts', import.meta.url).pathname, [mode], {
    execArgv: ['--conditions=@faultline/source', '--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, port: (m as { port: number }).port })))
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T))
    child.send(message)
  })
}

async function load(port: number, scenario: (typeof SCENARIOS)[string], connections: number, duration: number) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        method: (scenario.method ?? 'GET') as 'GET',
        path: scenario.path,
        ...(scenario.body ? { body: scenario.body, headers: { 'content-type': 'application/json' } } : {}),
      },
    ],
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

export async function runHttp() {
  const servers = { plain: await start('plain'), faultline: await start('faultline') }
  const rows: Record<string, unknown>[] = []
  try {
    const only = process.env.SCENARIOS?.split(',')
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (only && !only.includes(name)) continue
      for (const connections of CONNECTIONS) {
        for (const mode of ['plain', 'faultline'] as const) await load(servers[mode].port, scenario, connections, 1) // warm-up
        const runs: Record<Mode, Awaited<ReturnType<typeof load>>[]> = { plain: [], faultline: [] }
        const peak: Record<Mode, number> = { plain: 0, faultline: 0 }
        for (let round = 0; round < ROUNDS; round++) {
          // alternate which goes first, so neither always runs on a warmer machine
          const order: Mode[] = round % 2 === 0 ? ['plain', 'faultline'] : ['faultline', 'plain']
          for (const mode of order) {
            servers[mode].child.send('reset-rss')
            runs[mode].push(await load(servers[mode].port, scenario, connections, SECONDS))
            peak[mode] = Math.max(peak[mode], (await ask<{ peakRss: number }>(servers[mode].child, 'rss')).peakRss)
          }
        }
        const ratios = runs.faultline.map((f, i) => f.rps / (runs.plain[i]?.rps ?? Number.NaN))
        rows.push({
          scenario: name,
          connections,
          plainRps: Math.round(median(runs.plain.map((r) => r.rps))),
          faultlineRps: Math.round(median(runs.faultline.map((r) => r.rps))),
          ratio: Number(median(ratios).toFixed(3)),
          ratioSpread: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
          p50: `${median(runs.plain.map((r) => r.p50))} / ${median(runs.faultline.map((r) => r.p50))} ms`,
          p99: `${median(runs.plain.map((r) => r.p99))} / ${median(runs.faultline.map((r) => r.p99))} ms`,
          peakRssMb: `${Math.round(peak.plain / 2 ** 20)} / ${Math.round(peak.faultline / 2 ** 20)}`,
          loadErrors: runs.plain.concat(runs.faultline).reduce((n, r) => n + r.errors, 0),
        })
      }
    }
  } finally {
    servers.plain.child.kill()
    servers.faultline.child.kill()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await runHttp())
}
