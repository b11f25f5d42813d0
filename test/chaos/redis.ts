// A redis-server the chaos scenarios can kill (SIGKILL) and start again on the same port and data
// directory. AOF is on and fsynced on every write, so what Redis acknowledged survives a kill.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findRedisServer, freePort } from '../src/fixtures/redis'

export interface DurableRedis {
  port: number
  url: string
  connection: { host: string; port: number }
  /** Whether the server is up (started and not killed since). */
  readonly up: boolean
  /** SIGKILL: no shutdown, no final save; only what AOF already holds survives. */
  kill(): Promise<void>
  /** Starts it again on the same port and data directory; resolves once it accepts connections. */
  restart(): Promise<void>
  /** Kills it and removes its data directory. */
  stop(): Promise<void>
}

function launch(bin: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    bin,
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--dir', dir],
      ...['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  return new Promise((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => fail('no "Ready to accept connections" within 10 s'), 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (!output.includes('Ready to accept connections')) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stdout?.resume()
      child.stderr?.resume()
      child.off('exit', onExit)
      resolve(child)
    }
    const onExit = () => fail('it exited')
    function fail(why: string) {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`redis-server on port ${port} did not start (${why}): ${output.slice(-500).trim()}`))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })
}

function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

/** Starts a durable redis-server on a free port of 127.0.0.1, its data in a fresh temporary directory. */
export async function startDurableRedis(): Promise<DurableRedis> {
  const bin = findRedisServer()
  const dir = mkdtempSync(join(tmpdir(), 'faultline-chaos-redis-'))
  const port = await freePort()
  let child: ChildProcess | undefined = await launch(bin, port, dir)
  // if this process dies without stopping it, the server goes too
  const onExit = () => child?.kill('SIGKILL')
  process.on('exit', onExit)
  const host = '127.0.0.1'
  return {
    port,
    url: `redis://${host}:${port}`,
    connection: { host, port },
    get up() {
      return child !== undefined
    },
    async kill() {
      if (!child) return
      const was = child
      child = undefined
      await killed(was)
    },
    async restart() {
      if (child) throw new Error('redis-server is already up')
      child = await launch(bin, port, dir)
    },
    async stop() {
      process.off('exit', onExit)
      if (child) await killed(child)
      child = undefined
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
