// Load with faults: a Faultline server (load-server.ts, NODE_ENV=production, its own process)
// under mixed traffic from autocannon. Every response body is checked: it must be JSON, each
// error in it a valid envelope whose status is the HTTP status (a batch's per item) and whose
// request id is the response's, with the code that request must get, and no crash's secret in it.
// Afterwards the server drains its tasks and reports how many background failures it logged and
// reported, against the failing tasks it queued. Run: pnpm load (SECONDS, CONNECTIONS adjust it).
import { type ChildProcess, fork } from 'node:child_process'
import type { IncomingHttpHeaders } from 'node:http'
import { parseEnvelope } from '@faultline/contract'
import autocannon from 'autocannon'
import { build } from 'esbuild'
import superjson from 'superjson'

const SECRET = 'postgres://orders:hunter2@db.internal:5432/orders'

type Item = { ok: true } | { code: string }
export interface Kind {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  /** What each call of the request must get, in order. */
  expect: Item[]
  batch?: boolean
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify(superjson.serialize(value)))
const batchInput = (values: unknown[]) =>
  encodeURIComponent(JSON.stringify(Object.fromEntries(values.map((v, i) => [i, superjson.serialize(v)]))))

export const KINDS: Record<string, Kind> = {
  success: { method: 'GET', path: `/user.byId?input=${input({ id: 'u_1' })}`, expect: [{ ok: true }] },
  declared: { method: 'GET', path: `/user.byId?input=${input({ id: 'u_404' })}`, expect: [{ code: 'USER_NOT_FOUND' }] },
  crash: { method: 'GET', path: '/crash', expect: [{ code: 'INTERNAL' }] },
  invalid: {
    method: 'POST',
    path: '/signup',
    body: { email: 'not-an-email', age: 12.5 },
    expect: [{ code: 'VALIDATION_FAILED' }],
  },
  taken: {
    method: 'POST',
    path: '/signup',
    body: { email: 'taken@example.test', age: 30 },
    expect: [{ code: 'EMAIL_TAKEN' }],
  },
  order: { method: 'POST', path: '/order.place', expect: [{ ok: true }] },
  'unknown path': { method: 'GET', path: '/nope', expect: [{ code: 'NOT_FOUND' }] },
  'wrong method': { method: 'GET', path: '/order.place', expect: [{ code: 'METHOD_NOT_SUPPORTED' }] },
  'query batch': {
    method: 'GET',
    path: `/user.byId,crash,user.byId,user.byId?batch=1&input=${batchInput([{ id: 'u_1' }, undefined, { id: 'u_9' }, { id: 42 }])}`,
    expect: [{ ok: true }, { code: 'INTERNAL' }, { code: 'USER_NOT_FOUND' }, { code: 'VALIDATION_FAILED' }],
    batch: true,
  },
  'mutation batch': {
    method: 'POST',
    path: '/order.place,order.placeThenFail,signup?batch=1',
    body: [undefined, undefined, { email: 'a@example.test', age: 40 }],
    expect: [{ ok: true }, { code: 'ORDER_REJECTED' }, { ok: true }],
    batch: true,
  },
}
// the order each connection cycles through: successes most often, as in real traffic
const MIX = [
  'success',
  'declared',
  'success',
  'crash',
  'order',
  'invalid',
  'success',
  'query batch',
  'taken',
  'order',
  'mutation batch',
  'unknown path',
  'success',
  'wrong method',
]

function body(kind: Kind): string | undefined {
  if (!kind.body) return kind.method === 'POST' ? JSON.stringify(superjson.serialize(undefined)) : undefined
  if (!kind.batch) return JSON.stringify(superjson.serialize(kind.body))
  const values = kind.body as unknown[]
  return JSON.stringify(Object.fromEntries(values.map((v, i) => [i, superjson.serialize(v)])))
}

/** What is wrong with one response, if anything. */
export function checkResponse(
  kind: Kind,
  status: number,
  text: string,
  requestId: string | undefined,
): { invalid?: string; wrong?: string; leak?: boolean } {
  const leak = text.includes(SECRET) || text.includes('hunter2')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { invalid: `body is not JSON: ${text.slice(0, 80)}`, leak }
  }
  const items = kind.batch ? json : [json]
  if (!Array.isArray(items) || items.length !== kind.expect.length) {
    return { invalid: `expected ${kind.expect.length} item(s): ${text.slice(0, 80)}`, leak }
  }
  const statuses = new Set<number>()
  let wrong: string | undefined
  for (const [i, raw] of items.entries()) {
    const expected = kind.expect[i] as Item
    const item = raw as { result?: unknown; error?: unknown }
    if (item && typeof item === 'object' && 'result' in item) {
      statuses.add(200)
      if (!('ok' in expected)) wrong ??= `item ${i}: a result where ${expected.code} was due`
      continue
    }
    if (!item || typeof item !== 'object' || !('error' in item)) return { invalid: `item ${i} is neither`, leak }
    let shape: { data?: { httpStatus?: unknown; error?: unknown } }
    try {
      shape = superjson.deserialize(item.error as never) as typeof shape
    } catch {
      return { invalid: `item ${i}: the error is not superjson`, leak }
    }
    const parsed = parseEnvelope(shape?.data?.error)
    if (!parsed.ok) return { invalid: `item ${i}: ${parsed.reason}`, leak }
    const envelope = parsed.envelope
    if (envelope.status !== shape.data?.httpStatus)
      return { invalid: `item ${i}: status differs from httpStatus`, leak }
    if (!kind.batch && envelope.status !== status) {
      return { invalid: `envelope status ${envelope.status}, HTTP ${status}`, leak }
    }
    if (!envelope.requestId || envelope.requestId !== requestId) {
      return { invalid: `item ${i}: request id ${envelope.requestId} is not the header's ${requestId}`, leak }
    }
    statuses.add(envelope.status)
    if ('ok' in expected) wrong ??= `item ${i}: ${envelope.code} where a result was due`
    else if (envelope.code !== expected.code) wrong ??= `item ${i}: ${envelope.code} where ${expected.code} was due`
  }
  // tRPC answers a batch with the status its items share, else 207 Multi-Status
  const overall = statuses.size === 1 ? [...statuses][0] : 207
  if (status !== overall) return { invalid: `HTTP ${status} where the items make it ${overall}`, leak }
  return wrong ? { wrong, leak } : { leak }
}

export interface LoadOptions {
  seconds: number
  connections: number
  /** Called with each new kind of problem, the first time it is seen. */
  onProblem?: (problem: string) => void
}

export interface LoadResult {
  seconds: number
  connections: number
  /** Responses received, every one of them checked. */
  responses: number
  byKind: Record<string, number>
  /** Responses with a body that is not a valid envelope (or its status or request id is not the response's). */
  invalidEnvelopes: number
  /** Valid envelopes with another code than the request must get. */
  wrongAnswers: number
  /** Bodies carrying the secret written into every crash. */
  leaks: number
  /** autocannon's errors and timeouts (connection errors, not HTTP statuses). */
  loadErrors: number
  /** Times the server process ended on its own. */
  crashes: number
  rssStartMb: number
  /** Half-way through the run. */
  rssHalfwayMb: number
  rssEndMb: number
  peakRssMb: number
  /** Failing tasks queued by calls that succeeded: each must be logged and reported once. */
  backgroundExpected: number
  backgroundReported: number
  backgroundLogged: number
  /** Tasks the drain had to interrupt (the drain waits up to 60 s). */
  interrupted: number
  /** fl.faults() of the server: a logger, hook, handler, transformer or store that failed. */
  faults: Record<string, number>
}

interface Stats {
  enqueuedFailing: number
  reported: number
  logged: number
  interrupted: number
  faults: Record<string, number>
  rssStart: number
  rssHalfway: number
  rssEnd: number
  peakRss: number
}

const serverFile = new URL('../.generated/load-server.mjs', import.meta.url).pathname

// bundled and run on plain node, as a deployed app is
async function bundleServer() {
  await build({
    entryPoints: [new URL('./load-server.ts', import.meta.url).pathname],
    outfile: serverFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    conditions: ['@faultline/source'],
    logLevel: 'warning',
  })
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20)

/** Runs the load; resolves with what was seen. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  await bundleServer()
  const child: ChildProcess = fork(serverFile, [], {
    env: { ...process.env, NODE_ENV: 'production', LOAD_SECRET: SECRET, LOAD_SECONDS: String(opts.seconds) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  let crashes = 0
  let stopping = false
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) {
        crashes++
        opts.onProblem?.(`the server exited during the run (code ${code}, signal ${signal})`)
      }
      resolve()
    }),
  )
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port))
    exited.then(() => reject(new Error('the load server exited before it listened')))
  })

  const result = {
    seconds: opts.seconds,
    connections: opts.connections,
    responses: 0,
    byKind: {} as Record<string, number>,
    invalidEnvelopes: 0,
    wrongAnswers: 0,
    leaks: 0,
  }
  const seen = new Set<string>()
  const problem = (what: string) => {
    const key = what.replace(/req_\w+/g, 'req_…')
    if (seen.has(key)) return
    seen.add(key)
    opts.onProblem?.(what)
  }

  const cannon = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: opts.connections,
    duration: opts.seconds,
    requests: MIX.map((name) => {
      const kind = KINDS[name] as Kind
      const payload = body(kind)
      return {
        method: kind.method,
        path: kind.path,
        ...(payload ? { body: payload, headers: { 'content-type': 'application/json' } } : {}),
        onResponse: (status: number, text: string, _ctx: object, headers: IncomingHttpHeaders | undefined) => {
          result.responses++
          result.byKind[name] = (result.byKind[name] ?? 0) + 1
          const id = headers?.['x-request-id']
          const verdict = checkResponse(kind, status, text, typeof id === 'string' ? id : undefined)
          if (verdict.leak) {
            result.leaks++
            problem(`${name}: a body carried the crash's secret`)
          }
          if (verdict.invalid) {
            result.invalidEnvelopes++
            problem(`${name}: ${verdict.invalid}`)
          } else if (verdict.wrong) {
            result.wrongAnswers++
            problem(`${name}: ${verdict.wrong}`)
          }
        },
      }
    }),
  })

  try {
    const stats = await Promise.race([
      new Promise<Stats>((resolve) => {
        child.once('message', (m) => resolve(m as Stats))
        child.send('stats')
      }),
      exited.then(() => undefined),
    ])
    return {
      ...result,
      loadErrors: cannon.errors + cannon.timeouts,
      crashes,
      rssStartMb: stats ? mb(stats.rssStart) : Number.NaN,
      rssHalfwayMb: stats ? mb(stats.rssHalfway) : Number.NaN,
      rssEndMb: stats ? mb(stats.rssEnd) : Number.NaN,
      peakRssMb: stats ? mb(stats.peakRss) : Number.NaN,
      backgroundExpected: stats?.enqueuedFailing ?? Number.NaN,
      backgroundReported: stats?.reported ?? Number.NaN,
      backgroundLogged: stats?.logged ?? Number.NaN,
      interrupted: stats?.interrupted ?? Number.NaN,
      faults: stats?.faults ?? {},
    }
  } finally {
    stopping = true
    if (child.exitCode === null && child.signalCode === null) {
      child.send('exit')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.env.SECONDS ?? 30)
  const connections = Number(process.env.CONNECTIONS ?? 100)
  console.log(`load: ${connections} connections for ${seconds} s, every response body checked`)
  const r = await runLoad({ seconds, connections, onProblem: (p) => console.log(`  problem: ${p}`) })
  const n = (x: number) => x.toLocaleString('en')
  const rows: [string, string][] = [
    ['requests served', `${n(r.responses)} (${n(Math.round(r.responses / seconds))}/s), every body checked`],
    [
      '  by kind',
      Object.entries(r.byKind)
        .map(([k, v]) => `${k} ${n(v)}`)
        .join(', '),
    ],
    ['invalid envelopes', String(r.invalidEnvelopes)],
    ['wrong answers', String(r.wrongAnswers)],
    ['leaked secrets', String(r.leaks)],
    ['connection errors', `${r.loadErrors} (autocannon errors and timeouts)`],
    ['process crashes', String(r.crashes)],
    ['RSS MB', `start ${r.rssStartMb}, half-way ${r.rssHalfwayMb}, end ${r.rssEndMb}, peak ${r.peakRssMb}`],
    [
      'background failures',
      `${n(r.backgroundReported)} reported, ${n(r.backgroundLogged)} logged, ${n(r.backgroundExpected)} expected (failing tasks queued by calls that succeeded)`,
    ],
    ['interrupted by drain', String(r.interrupted)],
    [
      'faults',
      Object.entries(r.faults)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
  ]
  console.log(`\n${rows.map(([label, value]) => `${label.padEnd(22)} ${value}`).join('\n')}`)
  const ok =
    r.responses > 0 &&
    r.invalidEnvelopes === 0 &&
    r.wrongAnswers === 0 &&
    r.leaks === 0 &&
    r.crashes === 0 &&
    r.backgroundReported === r.backgroundExpected &&
    r.backgroundLogged === r.backgroundExpected
  console.log(ok ? '\nOK' : '\nFAILED')
  process.exit(ok ? 0 : 1)
}
