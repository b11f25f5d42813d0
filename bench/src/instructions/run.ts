// Runs one side's worker under callgrind and reads its windows: instructions per call (total, GC,
// compiler) and what V8's traces printed inside each window.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'
import { type Attribution, attribute, readProfile } from './callgrind'
import { CASES, type CaseName, DONE, READY, windowEnd, windowStart } from './cases'

const run = promisify(execFile)

export interface Job {
  side: 'plain' | 'faultline'
  transformer: 'json' | 'superjson'
  cases: CaseName[]
  rounds: number
  focus: number
  counted: number
}

/** What V8 printed inside a window. */
export interface Events {
  /** Functions TurboFan compiled. */
  optimized: number
  deoptimized: number
  scavenges: number
  /** Full collections (mark-compact) that finished in the window. */
  markCompacts: number
  /** Bytes the scavenges promoted to the old generation. */
  promotedBytes: number
  /** Names of the functions optimized or deoptimized, for the log. */
  functions: string[]
}

export interface Measured {
  /**
   * Instructions per call; `finalCollection` is the young-generation collection that ends the window
   * (counted in `gc`).
   */
  perCall: Attribution & { finalCollection: number; promotedBytes: number }
  events: Events
  /** The callgrind file of the window's calls, kept for callgrind_annotate. */
  file: string
}

export interface JobResult {
  job: Job
  cases: Map<CaseName, Measured>
  /** Instructions on threads other than the main one, all windows together (should be ~0 with --single-threaded). */
  helperThreads: number
  seconds: number
}

/** Node's flags for the counted process: everything on one thread, reproducible, traced. */
export const NODE_FLAGS = [
  '--expose-gc',
  '--single-threaded',
  '--no-memory-reducer',
  '--hash-seed=1',
  '--random-seed=1',
  '--trace-opt',
  '--trace-deopt',
  '--trace-gc-nvp',
]

/** Runs a job under callgrind, its files in `outDir`; rejects when anything goes wrong. */
export async function runJob(
  worker: string,
  job: Job,
  outDir: string,
  log: (line: string) => void,
): Promise<JobResult> {
  const started = Date.now()
  const control = mkdtempSync(join(tmpdir(), 'faultline-instr-'))
  const base = join(outDir, `${job.side}.${job.transformer}`)
  for (const file of readdirSync(outDir))
    if (file.startsWith(`${job.side}.${job.transformer}.`)) rmSync(join(outDir, file))
  const args = [
    // V8 prints its traces with C's stdio: line-buffered, they stay in order with the worker's lines
    '-oL',
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    '--dump-instr=no',
    '--separate-threads=yes',
    '--dump-before=uv_os_getpriority',
    `--callgrind-out-file=${base}.out`,
    process.execPath,
    ...NODE_FLAGS,
    worker,
    job.side,
    job.transformer,
    String(job.rounds),
    String(job.focus),
    String(job.counted),
    job.cases.join(','),
  ]
  const child = spawn('stdbuf', args, {
    env: { ...process.env, NODE_ENV: 'production', FAULTLINE_BENCH_CONTROL: control },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-20_000)
  })
  const lines: string[] = []
  const summaries = new Map<string, Record<string, unknown>>()
  let switching = Promise.resolve()
  const reader = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> })
  reader.on('line', (line) => {
    lines.push(line)
    if (line.startsWith('{')) {
      const summary = JSON.parse(line) as { case: string }
      summaries.set(summary.case, summary)
      return
    }
    const ready = line.startsWith(`${READY} `)
    if (ready || line.startsWith(`${DONE} `)) {
      const name = line.slice(line.lastIndexOf(' ') + 1) as CaseName
      const index = job.cases.indexOf(name)
      switching = switching.then(async () => {
        await run('callgrind_control', ['-i', ready ? 'on' : 'off', String(child.pid)])
        writeFileSync(join(control, `${ready ? 'on' : 'off'}.${index}`), '')
        if (ready) log(`  ${job.side} ${job.transformer}: counting ${name} (${seconds(started)} s)`)
      })
    }
  })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  await switching
  rmSync(control, { recursive: true, force: true })
  if (code !== 0) {
    throw new Error(`${job.side} ${job.transformer}: the worker exited with ${code}\n${stderr.slice(-4000)}`)
  }

  const cases = new Map<CaseName, Measured>()
  for (const [index, name] of job.cases.entries()) {
    // three dumps a window: what came before it, its calls, and the collection of what they left
    const file = `${base}.out.${3 * index + 2}-01`
    const calls = attribute(readWindow(file))
    const final = attribute(readWindow(`${base}.out.${3 * index + 3}-01`))
    const events = eventsIn(lines, name)
    const perCall = {
      total: (calls.total + final.total) / job.counted,
      gc: (calls.gc + final.total) / job.counted,
      fullGc: (calls.fullGc + final.fullGc) / job.counted,
      compiler: calls.compiler / job.counted,
      finalCollection: final.total / job.counted,
      promotedBytes: events.promotedBytes / job.counted,
    }
    cases.set(name, { perCall, events, file })
    check(job, name, summaries.get(name))
  }
  // the last dump, at exit, holds each other thread's instructions of every instrumented stretch
  let helperThreads = 0
  for (const file of readdirSync(outDir)) {
    const m = new RegExp(`^${job.side}\\.${job.transformer}\\.out-(\\d+)$`).exec(file)
    if (m && m[1] !== '01') helperThreads += readProfile(join(outDir, file)).total
  }
  writeFileSync(`${base}.stdout.txt`, `${lines.join('\n')}\n`)
  return { job, cases, helperThreads, seconds: (Date.now() - started) / 1000 }
}

const seconds = (since: number) => Math.round((Date.now() - since) / 1000)

function readWindow(file: string) {
  const header = readFileSync(file, 'utf8').slice(0, 2000)
  if (!header.includes('Trigger: --dump-before=uv_os_getpriority')) throw new Error(`${file}: not a window's dump`)
  return readProfile(file)
}

function eventsIn(lines: string[], name: string): Events {
  const start = lines.indexOf(windowStart(name))
  const end = lines.indexOf(windowEnd(name))
  const events: Events = {
    optimized: 0,
    deoptimized: 0,
    scavenges: 0,
    markCompacts: 0,
    promotedBytes: 0,
    functions: [],
  }
  if (start < 0 || end < start) throw new Error(`worker: no window for ${name} in its output`)
  for (const line of lines.slice(start + 1, end)) {
    const fn = /<JSFunction ([^ >]*)/.exec(line)?.[1] ?? '?'
    if (line.startsWith('[compiling method')) {
      events.optimized++
      events.functions.push(fn)
    } else if (line.startsWith('[bailout')) {
      events.deoptimized++
      events.functions.push(`deopt ${fn}`)
    } else if (line.includes(' gc=')) {
      // --trace-gc-nvp: one line of name=value pairs per collection
      const kind = / gc=(\w+)/.exec(line)?.[1]
      if (kind === 's') events.scavenges++
      else events.markCompacts++
      events.promotedBytes += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0)
    }
  }
  return events
}

/** The window did what its case says: every call answered as expected, every log line and task. */
function check(job: Job, name: CaseName, summary: Record<string, unknown> | undefined) {
  const spec = CASES[name]
  const n = job.counted
  const fail = (what: string) => {
    throw new Error(`${job.side} ${job.transformer} ${name}: ${what}: ${JSON.stringify(summary)}`)
  }
  if (!summary) return fail('no summary')
  if (summary.logLines !== spec.logLines * n) fail(`expected ${spec.logLines * n} log lines`)
  if (spec.kind === 'fetch' && JSON.stringify(summary.statuses) !== JSON.stringify({ [spec.status]: n })) {
    fail(`expected ${n} responses with status ${spec.status}`)
  }
  const task = 'task' in spec ? spec.task : undefined
  if (summary.tasksFailed !== (task === 'fails' ? n : 0)) fail('wrong number of failed tasks')
  if (summary.tasksDone !== (task === 'succeeds' ? n : 0)) fail('wrong number of finished tasks')
}
