// `pnpm start:distributed`: the example as two processes, the API (src/main.ts)
// and a worker (src/worker.ts), sharing a BullMQ queue on Redis. Uses
// REDIS_URL when set; otherwise starts a throwaway redis-server (no
// persistence) on a free local port for as long as they run.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const file = (name: string) => fileURLToPath(new URL(name, import.meta.url))

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 6379))
    })
  })
}

/** A redis-server of our own; resolves once it accepts connections. */
async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const bin = process.env.REDIS_SERVER ?? 'redis-server'
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // its own process group: Ctrl-C reaches this process alone, which stops Redis last
    detached: true,
  })
  await new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new Error(
          `could not start ${bin} (${error.message}): install Redis (apt-get install redis-server) or set REDIS_URL`,
        ),
      ),
    )
    child.once('exit', (code) => reject(new Error(`${bin} exited (${code}) before it was ready`)))
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve()
    })
  })
  child.stdout?.resume()
  return { url: `redis://127.0.0.1:${port}`, child }
}

const redis = process.env.REDIS_URL ? undefined : await startRedis()
const env = { ...process.env, REDIS_URL: process.env.REDIS_URL ?? redis?.url }
// the same node flags as this process (the TypeScript loader, source conditions)
const processes = [file('./main.ts'), file('./worker.ts')].map((script) =>
  // each in its own process group, so Ctrl-C reaches this process alone and each child gets one signal
  spawn(process.execPath, [...process.execArgv, script], { env, stdio: 'inherit', detached: true }),
)
console.log(`API and worker started; tasks go through ${env.REDIS_URL}${redis ? ' (a redis-server of its own)' : ''}`)

let stopping = false
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return
  stopping = true
  for (const child of processes) if (child.exitCode === null) child.kill(signal)
}
process.once('SIGINT', () => stop('SIGINT'))
process.once('SIGTERM', () => stop('SIGTERM'))

// when one stops, the other is stopped too; Redis goes last
const codes = await Promise.all(
  processes.map(
    (child) =>
      new Promise<number>((resolve) =>
        child.once('exit', (code) => {
          stop('SIGTERM')
          resolve(code ?? 0)
        }),
      ),
  ),
)
redis?.child.kill('SIGTERM')
process.exit(Math.max(...codes))
