// Reads a callgrind profile (`--dump-instr=no`, instructions only) into functions and call edges,
// and attributes its instructions to what they ran under: garbage collection, V8's compilers.
import { readFileSync } from 'node:fs'

export interface Profile {
  /** Instructions of the whole profile. */
  total: number
  /** Instructions each function executed itself, by name. */
  self: Map<string, number>
  /** Calls between functions: caller, callee and the instructions the calls took, callee's callees included. */
  edges: { caller: string; callee: string; inclusive: number }[]
}

/** Parses a callgrind output file: costs per function and per call edge. */
export function readProfile(file: string): Profile {
  const text = readFileSync(file, 'utf8')
  const names = new Map<string, string>()
  // `fn=(12) name` defines id 12; later `fn=(12)` refers to it
  const nameOf = (value: string): string => {
    const m = /^\((\d+)\)(?: (.*))?$/.exec(value)
    if (!m) return value
    const [, id = '', name] = m
    if (name !== undefined) names.set(id, name)
    return names.get(id) ?? value
  }
  const self = new Map<string, number>()
  const edges: Profile['edges'] = []
  let fn = ''
  let callee = ''
  let callPending = false
  let total = 0
  for (const line of text.split('\n')) {
    if (line === '') continue
    const c = line.charCodeAt(0)
    // a cost line starts with a position: a digit, a sign or `*`
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      const space = line.lastIndexOf(' ')
      const cost = space > 0 ? Number(line.slice(space + 1)) : 0
      if (callPending) {
        edges.push({ caller: fn, callee, inclusive: cost })
        callPending = false
      } else {
        self.set(fn, (self.get(fn) ?? 0) + cost)
      }
      continue
    }
    const eq = line.indexOf('=')
    if (eq < 0) {
      if (line.startsWith('summary:') || line.startsWith('totals:')) total = Number(line.slice(line.indexOf(':') + 1))
      continue
    }
    const key = line.slice(0, eq)
    const value = line.slice(eq + 1)
    if (key === 'fn') fn = nameOf(value)
    else if (key === 'cfn') callee = nameOf(value)
    else if (key === 'calls') callPending = true
    else if (
      key === 'ob' ||
      key === 'cob' ||
      key === 'fl' ||
      key === 'fi' ||
      key === 'fe' ||
      key === 'cfi' ||
      key === 'cfl'
    )
      nameOf(value)
  }
  if (total === 0) for (const cost of self.values()) total += cost
  return { total, self, edges }
}

/** A function's name without callgrind's recursion suffix (`foo'2`). */
export const baseName = (name: string) => name.replace(/'\d+$/, '')

/**
 * The instructions that ran under any function the predicate matches (the function itself, and
 * everything it called), each counted once. Callgrind keeps costs per caller-callee pair, not per
 * stack, so a function called both from inside and from outside is split between the two by the
 * instructions each caller's calls to it took.
 */
export function costUnder(profile: Profile, matches: (name: string) => boolean): number {
  const share = fractionUnder(profile, matches)
  let cost = 0
  for (const [name, own] of profile.self) cost += own * (share.get(name) ?? 0)
  return cost
}

/** For each function, the part of its instructions that ran under a matching function. */
export function fractionUnder(profile: Profile, matches: (name: string) => boolean): Map<string, number> {
  const incoming = new Map<string, { caller: string; inclusive: number }[]>()
  for (const edge of profile.edges) {
    if (edge.inclusive <= 0) continue
    const list = incoming.get(edge.callee) ?? []
    list.push({ caller: edge.caller, inclusive: edge.inclusive })
    incoming.set(edge.callee, list)
  }
  const share = new Map<string, number>()
  const names = new Set([...profile.self.keys(), ...incoming.keys()])
  for (const name of names) share.set(name, matches(baseName(name)) ? 1 : 0)
  // a fixed point: a function's share is its callers' shares, weighted by what their calls took
  for (let round = 0; round < 200; round++) {
    let change = 0
    for (const name of names) {
      if (matches(baseName(name))) continue
      const callers = incoming.get(name)
      if (!callers) continue
      let weight = 0
      let under = 0
      for (const { caller, inclusive } of callers) {
        weight += inclusive
        under += inclusive * (share.get(caller) ?? 0)
      }
      const next = weight > 0 ? under / weight : 0
      change = Math.max(change, Math.abs(next - (share.get(name) ?? 0)))
      share.set(name, next)
    }
    if (change < 1e-9) break
  }
  return share
}

// V8's garbage collector: the atomic pauses (every collection goes through Heap::CollectGarbage),
// incremental marking and its tasks, the marking write barrier, sweeping, and the collectors' own
// classes.
const GC =
  /^(v8::internal::(Heap::(CollectGarbage|CollectAllGarbage|CollectAllAvailableGarbage|PerformGarbageCollection|Scavenge|MarkCompact|MinorMarkCompact|StartIncrementalMarking|FinalizeIncrementalMarking)|Scavenger|ScavengerCollector|ScavengeJob|MarkCompactCollector|MinorMarkCompactCollector|IncrementalMarking|IncrementalMarkingJob|ConcurrentMarking|MarkingBarrier|WriteBarrier::Marking|Sweeper|ArrayBufferSweeper|MemoryReducer|GCTracer|[A-Za-z]*MarkingVisitor|[A-Za-z]*Evacuat[A-Za-z]*|MemoryAllocator::Unmapper|CppHeap)|cppgc::internal::(MarkerBase|Sweeper|Heap::Collect))/
// Of those, the full collections: marking (incremental or in the pause), compaction and sweeping.
const FULL_GC =
  /^(v8::internal::(Heap::(MarkCompact|StartIncrementalMarking|FinalizeIncrementalMarking)|MarkCompactCollector|IncrementalMarking|IncrementalMarkingJob|ConcurrentMarking|MarkingBarrier|WriteBarrier::Marking|Sweeper|MemoryReducer|[A-Za-z]*MarkingVisitor|CppHeap)|cppgc::internal::(MarkerBase|Sweeper|Heap::Collect))/
// V8's compilers: bytecode (parsing and the bytecode generator, at first call of a lazy function),
// Sparkplug (baseline), Maglev and TurboFan, and the deoptimizer that throws optimized code away.
const COMPILER =
  /^(v8::internal::(Compiler::|compiler::|maglev::|baseline::|turboshaft::|OptimizingCompileDispatcher|Parser::|PreParser::|interpreter::BytecodeGenerator|Deoptimizer::|Runtime_CompileLazy|Runtime_CompileOptimized|Runtime_InstallBaselineCode|Runtime_CompileBaseline|Runtime_NotifyDeoptimized|Runtime_HealOptimizedCodeSlot|Runtime_CompileOnStackReplacement))/

export const isGc = (name: string) => GC.test(name)
export const isFullGc = (name: string) => FULL_GC.test(name)
export const isCompiler = (name: string) => COMPILER.test(name)

export interface Attribution {
  total: number
  /** Garbage collection, young and full. */
  gc: number
  /** Of `gc`, full collections (marking, compaction, sweeping). */
  fullGc: number
  /** Compiler instructions outside garbage collection (a collection a compile triggers counts as GC). */
  compiler: number
}

/** Total, GC and compiler instructions of a profile. */
export function attribute(profile: Profile): Attribution {
  const gcShare = fractionUnder(profile, isGc)
  const fullShare = fractionUnder(profile, isFullGc)
  const compilerShare = fractionUnder(profile, isCompiler)
  let gc = 0
  let fullGc = 0
  let compiler = 0
  for (const [name, own] of profile.self) {
    const g = gcShare.get(name) ?? 0
    gc += own * g
    fullGc += own * Math.min(g, fullShare.get(name) ?? 0)
    compiler += own * (compilerShare.get(name) ?? 0) * (1 - g)
  }
  return { total: profile.total, gc, fullGc, compiler }
}
