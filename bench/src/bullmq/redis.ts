// The bench's own redis-server (loopback, free port, no persistence, in a temporary directory) and
// what it reads of Redis's counters: commands by name, and the server's CPU time.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'

export interface RedisServer {
  port: number
  stop(): Promise<void>
}

/** Finds redis-server, or installs Debian's when it can (scripts/ensure-redis.sh); throws saying what to do. */
function redisServerBinary(): string {
  const root = new URL('../../../', import.meta.url).pathname
  const ensured = spawnSync('bash', ['scripts/ensure-redis.sh'], { cwd: root, stdio: 'inherit' })
  if (ensured.status !== 0) {
    throw new Error(
      'bench:bullmq: redis-server is missing; install it (apt-get install -y redis-server) or set REDIS_SERVER to its path',
    )
  }
  const configured = process.env.REDIS_SERVER
  if (configured && existsSync(configured)) return configured
  return existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server'
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let output = ''
    const timer = setTimeout(() => finish(false), 10_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to accept connections')) finish(true)
    }
    const onExit = () => finish(false)
    function finish(ok: boolean) {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.off('exit', onExit)
      child.stdout?.resume()
      resolve(ok)
    }
    child.stdout?.on('data', onData)
    child.once('exit', onExit)
  })
}

/** Starts redis-server on a free port of 127.0.0.1; `stop()` shuts it down and removes its directory. */
export async function startRedisServer(): Promise<RedisServer> {
  const bin = redisServerBinary()
  const dir = mkdtempSync(join(tmpdir(), 'faultline-bench-redis-'))
  let stderr = ''
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort()
    const child = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    // if the bench dies without stopping it, the server and its directory go too
    const kill = () => {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
    process.once('exit', kill)
    if (await ready(child)) {
      return {
        port,
        stop: () =>
          new Promise<void>((resolve) => {
            process.off('exit', kill)
            const done = () => {
              rmSync(dir, { recursive: true, force: true })
              resolve()
            }
            if (child.exitCode !== null || child.signalCode !== null) return done()
            child.once('exit', done)
            child.kill('SIGTERM')
          }),
      }
    }
    process.off('exit', kill)
    child.kill('SIGKILL')
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error(`bench:bullmq: redis-server (${bin}) did not start on 127.0.0.1: ${stderr.trim() || 'no output'}`)
}

// the bench's own commands around each window, not the side's
const OWN = new Set(['config|resetstat', 'info'])

/** Commands run since the last CONFIG RESETSTAT, by name (those scripts ran counted by their own name too). */
export async function commandCounts(redis: Redis): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const line of (await redis.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
    if (match?.[1] && !OWN.has(match[1])) counts.set(match[1], Number(match[2]))
  }
  return counts
}

/** The CPU time redis-server has used, in µs. */
export async function redisCpuMicros(redis: Redis): Promise<number> {
  const info = await redis.info('cpu')
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN)
  return (seconds('used_cpu_sys') + seconds('used_cpu_user')) * 1e6
}
