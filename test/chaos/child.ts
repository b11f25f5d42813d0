// The suite's own processes: a TypeScript file run by node with tsx, killed at cleanup or when this
// process exits, and whether it ever exited on its own (a crash).
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface Child {
  readonly pid: number
  /** What the process printed on its `ready` line (the API's port). */
  readonly ready: string
  /** Whether it exited without being killed by the suite, and how. */
  readonly crashed: string | undefined
  /** Whether the suite killed it. */
  readonly killed: boolean
  /** Sends a signal; SIGKILL resolves once the process has exited. */
  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void>
}

const living = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of living) child.kill('SIGKILL')
})

/** Kills every process still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...living].map((child) => exited(child, 'SIGKILL')))
}

function exited(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}

/** Runs `test/chaos/<script>` with `env` added; resolves once it prints a line starting `ready`. */
export function startChild(script: string, env: Record<string, string>): Promise<Child> {
  const file = fileURLToPath(new URL(script, import.meta.url))
  const child = spawn(process.execPath, ['--conditions=@faultline/source', '--import', 'tsx', file], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  living.add(child)
  let killedByUs = false
  let crashed: string | undefined
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  child.once('exit', (code, signal) => {
    living.delete(child)
    if (!killedByUs) crashed = `${script} (pid ${child.pid}) exited with ${signal ?? code}: ${stderr.trim()}`
  })
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail('printed no ready line within 30 s'), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const line = output.split('\n').find((l) => l.startsWith('ready'))
      if (line === undefined) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stdout?.resume()
      child.off('exit', onExit)
      resolve({
        pid: child.pid ?? 0,
        ready: line.slice('ready'.length).trim(),
        get crashed() {
          return crashed
        },
        get killed() {
          return killedByUs
        },
        async signal(signal) {
          if (signal === 'SIGKILL') {
            killedByUs = true
            await exited(child, 'SIGKILL')
          } else child.kill(signal)
        },
      })
    }
    const onExit = () => fail('exited')
    function fail(why: string) {
      clearTimeout(timer)
      killedByUs = true
      child.kill('SIGKILL')
      reject(new Error(`${script} ${why}: ${stderr.trim()}`))
    }
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
  })
}
