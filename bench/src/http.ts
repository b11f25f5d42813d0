// HTTP runtime: plain tRPC and tRPC with Faultline, the same router, each in its
// own process, loaded alternately with autocannon. Run: pnpm bench:http.
// ROUNDS, SECONDS, CONNECTIONS and SCENARIOS narrow it; WARMUP sets the seconds of load each
// server gets before a row's rounds (default 1); SERVER_ARGS passes node flags to both servers
// (--cpu-prof); AA=1 serves plain tRPC on both sides, to measure the noise.
import { type ChildProcess, fork, spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import superjson from 'superjson'
import { bundleForNode } from './node-bundle'
import { median } from './stats'

type Mode = 'plain' | 'faultline'
const ROUNDS = Number(process.env.ROUNDS ?? 5)
const SECONDS = Number(process.env.SECONDS ?? 3)
const WARMUP = Number(process.env.WARMUP ?? 1)
const CONNECTIONS = (process.env.CONNECTIONS ?? '10,100').split(',').map(Number)
for (const [name, value] of Object.entries({ ROUNDS, SECONDS, WARMUP, CONNECTIONS: Math.min(...CONNECTIONS) })) {
  if (!(value > 0)) throw new TypeError(`bench:http: ${name} must be a positive number; got ${process.env[name]}`)
}

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

// The servers run as one bundled JavaScript file on plain node, as a deployed app does: no
// TypeScript loader and no source maps, which would make every stack trace far dearer.
const serverFile = new URL('../.generated/http-server.mjs', import.meta.url).pathname
async function bundleServer() {
  await bundleForNode(new URL('./http-server.ts', import.meta.url), serverFile)
}

// With two or more cores, each server runs on the last one and the load generator on the others,
// so they do not take turns on one core. CPU_PIN=0 turns this off.
const pin = process.env.CPU_PIN !== '0' && availableParallelism() > 1 && hasTaskset()
function hasTaskset() {
  return spawnSync('taskset', ['-V']).status === 0
}
if (pin) spawnSync('taskset', ['-cp', `0-${availableParallelism() - 2}`, String(process.pid)])

// extra node flags for the servers, e.g. SERVER_ARGS=--cpu-prof
const nodeArgs = process.env.SERVER_ARGS?.split(' ').filter(Boolean) ?? []

function start(mode: Mode): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(serverFile, [mode], {
    execPath: pin ? 'taskset' : process.execPath,
    execArgv: pin ? ['-c', String(availableParallelism() - 1), process.execPath, ...nodeArgs] : nodeArgs,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, port: (m as { port: number }).port })))
}

// asks the server to exit on its own (so `--cpu-prof` can write its profile), killing it if it hangs
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill(), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.send('exit')
  })
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
    total: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
  }
}

export async function runHttp() {
  await bundleServer()
  const servers = {
    plain: await start('plain'),
    faultline: await start(process.env.AA === '1' ? 'plain' : 'faultline'),
  }
  const rows: Record<string, unknown>[] = []
  try {
    const only = process.env.SCENARIOS?.split(',')
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (only && !only.includes(name)) continue
      for (const connections of CONNECTIONS) {
        for (const mode of ['plain', 'faultline'] as const)
          await load(servers[mode].port, scenario, connections, WARMUP) // warm-up
        type Run = Awaited<ReturnType<typeof load>> & { cpuPerRequest: number }
        const runs: Record<Mode, Run[]> = { plain: [], faultline: [] }
        const peak: Record<Mode, number> = { plain: 0, faultline: 0 }
        for (let round = 0; round < ROUNDS; round++) {
          // alternate which goes first, so neither always runs on a warmer machine
          const order: Mode[] = round % 2 === 0 ? ['plain', 'faultline'] : ['faultline', 'plain']
          for (const mode of order) {
            servers[mode].child.send('reset-rss')
            const run = await load(servers[mode].port, scenario, connections, SECONDS)
            const usage = await ask<{ peakRss: number; cpuMicros: number }>(servers[mode].child, 'rss')
            runs[mode].push({ ...run, cpuPerRequest: usage.cpuMicros / Math.max(1, run.total) })
            peak[mode] = Math.max(peak[mode], usage.peakRss)
          }
        }
        const ratios = runs.faultline.map((f, i) => f.rps / (runs.plain[i]?.rps ?? Number.NaN))
        // capacity: how many requests one server CPU-second serves, Faultline over plain
        const capacity = runs.faultline.map((f, i) => (runs.plain[i]?.cpuPerRequest ?? Number.NaN) / f.cpuPerRequest)
        rows.push({
          scenario: name,
          connections,
          plainRps: Math.round(median(runs.plain.map((r) => r.rps))),
          faultlineRps: Math.round(median(runs.faultline.map((r) => r.rps))),
          ratio: Number(median(ratios).toFixed(3)),
          ratioSpread: `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
          cpuPerRequest: `${median(runs.plain.map((r) => r.cpuPerRequest)).toFixed(0)} / ${median(runs.faultline.map((r) => r.cpuPerRequest)).toFixed(0)} µs`,
          capacity: Number(median(capacity).toFixed(3)),
          capacitySpread: `${Math.min(...capacity).toFixed(2)}–${Math.max(...capacity).toFixed(2)}`,
          p50: `${median(runs.plain.map((r) => r.p50))} / ${median(runs.faultline.map((r) => r.p50))} ms`,
          p99: `${median(runs.plain.map((r) => r.p99))} / ${median(runs.faultline.map((r) => r.p99))} ms`,
          peakRssMb: `${Math.round(peak.plain / 2 ** 20)} / ${Math.round(peak.faultline / 2 ** 20)}`,
          loadErrors: runs.plain.concat(runs.faultline).reduce((n, r) => n + r.errors, 0),
        })
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map(({ child }) => stop(child)))
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await runHttp())
}
