// Where a window's instructions went: by what they ran under (GC, compiler, error stacks, JSON,
// …), by function, and callgrind_annotate's inclusive list. JavaScript that V8 compiled has no
// symbols that valgrind can read, so it shows as one group; V8's builtins, its runtime and node
// have names.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { baseName, fractionUnder, isCompiler, isGc, type Profile } from './callgrind'

const run = promisify(execFile)

/** Instructions under a few families of V8 and node functions, then the rest by kind, each counted once. */
const UNDER: [string, (name: string) => boolean][] = [
  ['garbage collection', isGc],
  ['compilers (TurboFan, Sparkplug, bytecode, deoptimizer)', isCompiler],
  [
    'error stacks: capture and formatting',
    (name) =>
      /^v8::internal::(ErrorUtils::|Isolate::CaptureAndSetErrorStack|Isolate::CaptureSimpleStackTrace|Accessors::ErrorStack|ErrorStackData|CallSiteInfo|Runtime_ErrorCaptureStackTrace|MessageFormatter)/.test(
        name,
      ) || /^Builtins_ErrorCaptureStackTrace|^Builtins_ErrorConstructor|^Builtins_CallSite/.test(name),
  ],
  ['JSON.stringify and JSON.parse', (name) => /JsonStringif|JsonParse|^Builtins_Json/.test(name)],
  [
    'property definition (Object.defineProperty, class fields)',
    (name) =>
      /^Builtins_ObjectDefineProperty|^v8::internal::JSReceiver::DefineOwnProperty|^v8::internal::Runtime_DefineClass|^v8::internal::JSObject::DefineOwnPropertyIgnoreAttributes/.test(
        name,
      ),
  ],
  [
    'inline-cache misses and property lookups in the runtime',
    (name) =>
      /^v8::internal::(Runtime_(Load|Store|Keyed|DefineKeyed|DefineNamed)\w*IC|\w*IC::|LookupIterator)/.test(name),
  ],
  [
    'Map, Set and WeakMap operations in the runtime',
    (name) =>
      /^v8::internal::(OrderedHashTable|OrderedHash(Map|Set)|EphemeronHashTable|Runtime_(Map|Set|WeakCollection)\w*)/.test(
        name,
      ),
  ],
]

/** Self costs by kind of code, for what none of UNDER covers. */
function kindOf(name: string): string {
  if (/^0x[0-9a-f]+$/.test(name)) return 'JavaScript compiled by V8 (no symbols)'
  if (/^Builtins_(InterpreterEntryTrampoline|\w+Handler|\w*Baseline\w*)/.test(name))
    return 'interpreter and baseline builtins'
  if (name.startsWith('Builtins_')) return 'other V8 builtins (promises, calls, allocation, …)'
  if (name.startsWith('v8::') || name.startsWith('cppgc::')) return 'other V8 runtime (C++)'
  if (name.startsWith('node::') || name.startsWith('uv_') || name.startsWith('simdutf') || name.startsWith('ada::'))
    return 'node and libuv'
  return 'libc and the rest'
}

export interface Group {
  group: string
  instructions: number
}

/** A window's instructions per call, partitioned into groups (each instruction in one group). */
export function groups(profile: Profile, calls: number): Group[] {
  const shares = UNDER.map(([label, matches]) => [label, fractionUnder(profile, matches)] as const)
  const totals = new Map<string, number>()
  const add = (label: string, value: number) => totals.set(label, (totals.get(label) ?? 0) + value)
  for (const [name, own] of profile.self) {
    let left = own
    for (const [label, share] of shares) {
      const part = left * (share.get(name) ?? 0)
      add(label, part)
      left -= part
    }
    add(kindOf(baseName(name)), left)
  }
  return [...totals].map(([group, instructions]) => ({ group, instructions: instructions / calls }))
}

/** Functions by their own instructions per call, Faultline's less plain tRPC's: the largest differences. */
export function selfDifferences(faultline: Profile, plain: Profile, calls: number, top: number) {
  const merged = new Map<string, { faultline: number; plain: number }>()
  const add = (profile: Profile, side: 'faultline' | 'plain') => {
    for (const [name, own] of profile.self) {
      const key = baseName(name)
      const entry = merged.get(key) ?? { faultline: 0, plain: 0 }
      entry[side] += own / calls
      merged.set(key, entry)
    }
  }
  add(faultline, 'faultline')
  add(plain, 'plain')
  return [...merged]
    .map(([name, v]) => ({ name: shorten(name), ...v, added: v.faultline - v.plain }))
    .sort((a, b) => Math.abs(b.added) - Math.abs(a.added))
    .slice(0, top)
}

/** callgrind_annotate's inclusive costs, per call: the top functions, recursion levels (`'2`) left out. */
export async function annotate(file: string, calls: number, top: number) {
  const { stdout } = await run('callgrind_annotate', ['--inclusive=yes', '--threshold=99', file], {
    maxBuffer: 256 * 1024 * 1024,
  })
  const rows: { name: string; inclusive: number }[] = []
  for (const line of stdout.split('\n')) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.*)$/.exec(line)
    if (!m?.[1] || !m[2] || m[2].includes('PROGRAM TOTALS')) continue
    const name = m[2].replace(/^\S*?:/, '').replace(/ \[[^\]]*\]$/, '')
    if (/'\d+$/.test(name)) continue
    rows.push({ name: shorten(name), inclusive: Number(m[1].replaceAll(',', '')) / calls })
    if (rows.length >= top) break
  }
  return rows
}

/** A C++ name without its argument list and `v8::internal::`. */
export function shorten(name: string): string {
  let depth = 0
  let out = ''
  for (const ch of name) {
    if (ch === '(') depth++
    if (depth === 0) out += ch
    if (ch === ')') depth--
  }
  return out
    .replace(/v8::internal::/g, '')
    .replace(/ \[clone [^\]]*\]/, '')
    .slice(0, 90)
}
