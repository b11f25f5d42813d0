import { resolve } from 'node:path'
import type { CliIO } from './cli'

/** A `CliIO` rooted at `dir` that keeps what the CLI writes; vitest compiles TypeScript, so modules are imported directly. */
export function captureIO(dir: string) {
  const out: string[] = []
  const err: string[] = []
  const cli: CliIO = {
    cwd: dir,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    load: (file, cwd) => import(resolve(cwd, file)),
  }
  return { cli, out: () => out.join(''), err: () => err.join('') }
}
