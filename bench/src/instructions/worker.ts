// The workload that instructions.ts runs under callgrind, bundled to plain JavaScript:
//   node --expose-gc worker.mjs <plain|faultline> <json|superjson> <rounds> <focus> <counted> <case,case,…>
// One side's server (and client). It warms up on all the given cases in turn, `rounds` times (a
// server that has served every kind of call), then, for each case, calls it `focus` more times
// alone and counts `counted` calls of it in a window of its own, their work (tasks, log lines)
// finished inside it.
//
// Callgrind runs with instrumentation off until a window: at each, the worker prints READY and
// waits for the harness to switch instrumentation on (`callgrind_control -i on`) and touch a file
// in $FAULTLINE_BENCH_CONTROL; after it, DONE and the same for off. The window itself starts and
// ends with a call of `os.getPriority()`, which nothing else here calls: with
// `--dump-before=uv_os_getpriority`, callgrind writes what came before the window to one dump and
// the window alone to the next. Without $FAULTLINE_BENCH_CONTROL (a run outside callgrind, to
// read `--trace-opt`) it does not wait. The window's start and end lines on stdout delimit the
// `--trace-opt`, `--trace-deopt` and `--trace-gc-nvp` lines printed inside it; after each window a JSON
// line says what its calls did (statuses, log lines, tasks), which the harness checks.
import { existsSync, writeSync } from 'node:fs'
import { getPriority } from 'node:os'
import { join } from 'node:path'
import { FaultlineClientError } from '@faultline/client'
import { TRPCClientError } from '@trpc/client'
import superjson from 'superjson'
import { buildServer, logged, requestOf, type Side, type Transformer, work } from './apps'
import { CASES, type CaseName, DONE, READY, windowEnd, windowStart } from './cases'

const [side, transformer, roundsArg, focusArg, countedArg, casesArg = ''] = process.argv.slice(2)
const rounds = Number(roundsArg)
const focus = Number(focusArg)
const counted = Number(countedArg)
const names = casesArg.split(',').filter(Boolean) as CaseName[]
if (
  (side !== 'plain' && side !== 'faultline') ||
  (transformer !== 'json' && transformer !== 'superjson') ||
  !(rounds >= 0 && focus >= 0 && counted >= 1) ||
  names.length === 0 ||
  names.some((name) => !(name in CASES))
) {
  throw new TypeError(
    `worker: usage: <plain|faultline> <json|superjson> <rounds> <focus> <counted> <case,…>; got ${process.argv.slice(2)}`,
  )
}
// only the young generation: a full collection would also make V8 recompile code the window runs
const gc = (globalThis as { gc?: (opts: { type: 'minor' }) => void }).gc
if (!gc) throw new TypeError('worker: run with --expose-gc')
const print = (line: string) => writeSync(1, `${line}\n`)
// waits, spinning (a process blocked in a system call would not hear callgrind_control), for the
// harness to touch `name` once it has switched instrumentation
const control = process.env.FAULTLINE_BENCH_CONTROL
const handOver = (line: string, flag: string) => {
  print(line)
  if (!control) return
  const file = join(control, flag)
  while (!existsSync(file)) {
    // spin
  }
}

// Two event-loop turns after each call that queued a task, on both sides: a setImmediate made
// after the task's hand-off (queued during the call), then one made after the attempt the hand-off
// started on a turn of its own. Each task runs to its log line before the next call.
const turn = () =>
  new Promise<void>((resolve) => {
    setImmediate(() => setImmediate(resolve))
  })

const server = buildServer(side as Side, transformer as Transformer)
const statuses: Record<number, number> = {}
const count = (status: number) => {
  statuses[status] = (statuses[status] ?? 0) + 1
}

async function makeCall(name: CaseName): Promise<() => Promise<void>> {
  const spec = CASES[name]
  const afterCall = 'task' in spec ? turn : async () => {}
  if (spec.kind === 'fetch') {
    const makeRequest = requestOf(spec.path, transformer as Transformer)
    return async () => {
      const res = await server.handle(makeRequest())
      await res.text()
      count(res.status)
      await afterCall()
    }
  }
  if (spec.kind === 'caller') {
    return async () => {
      await server.caller(spec.path)
      count(200)
      await afterCall()
    }
  }
  // the shape a Faultline server sent for this error, as the client's link has it once it has parsed
  // (and deserialized) the response: both sides rehydrate this same shape
  const source = buildServer('faultline', transformer as Transformer)
  const res = await source.handle(requestOf(spec.path, transformer as Transformer)())
  const body = (await res.json()) as { error: unknown }
  await source.drain()
  const shape = transformer === 'superjson' ? superjson.deserialize(body.error as never) : body.error
  const sample = FaultlineClientError.from(TRPCClientError.from({ error: shape }))
  if (sample.code === 'TRANSPORT_ERROR')
    throw new Error(`worker: ${name}: the shape did not rehydrate (${sample.message})`)
  // plain tRPC: its link makes a TRPCClientError; Faultline's link then makes the typed error from that
  const rehydrate =
    side === 'plain'
      ? () => TRPCClientError.from({ error: shape })
      : () => FaultlineClientError.from(TRPCClientError.from({ error: shape }))
  return async () => {
    if (!(rehydrate() instanceof TRPCClientError)) throw new Error('worker: nothing was rehydrated')
  }
}

const calls = new Map<CaseName, () => Promise<void>>()
for (const name of names) calls.set(name, await makeCall(name))
const callOf = (name: CaseName) => calls.get(name) as () => Promise<void>

// warm-up: every case in turn, as a server sees mixed calls
for (let round = 0; round < rounds; round++) for (const name of names) await callOf(name)()
await server.drain()

for (const [index, name] of names.entries()) {
  const call = callOf(name)
  // then this case alone, as its window will call it
  for (let i = 0; i < focus; i++) await call()
  await server.drain()
  const before = { lines: logged.lines, failed: work.failed, done: work.done }
  for (const key of Object.keys(statuses)) delete statuses[Number(key)]
  // the window starts with an empty young generation; the garbage its calls left there is
  // collected at its end, in a dump of its own
  gc({ type: 'minor' })
  handOver(`${READY} ${name}`, `on.${index}`)
  print(windowStart(name))
  getPriority()
  for (let i = 0; i < counted; i++) await call()
  await server.drain()
  getPriority()
  gc({ type: 'minor' })
  getPriority()
  print(windowEnd(name))
  print(
    JSON.stringify({
      case: name,
      statuses,
      logLines: logged.lines - before.lines,
      tasksFailed: work.failed - before.failed,
      tasksDone: work.done - before.done,
    }),
  )
  handOver(`${DONE} ${name}`, `off.${index}`)
}
