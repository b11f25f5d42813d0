// SIGTERM under load, with background tasks running: gracefulShutdown lets the requests in
// flight finish, drains their tasks and exits 0. No task is silently lost: the child's
// store writes every record to a file, and each task's last record is finished or `interrupted`.
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TaskRecord } from '@faultline/server'
import { afterEach, expect, test } from 'vitest'

type Mode = 'fast' | 'slow' | 'hang'

let child: ChildProcess | undefined
let dir: string | undefined
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  if (dir) rmSync(dir, { recursive: true, force: true })
  child = undefined
  dir = undefined
})

test('SIGTERM under load: requests in flight are answered, every queued task finished or is marked interrupted', async () => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-shutdown-'))
  const storeFile = join(dir, 'tasks.jsonl')
  const proc = fork(new URL('./fixtures/shutdown-server.ts', import.meta.url).pathname, [], {
    execArgv: ['--conditions=@faultline/source', '--import', 'tsx'],
    env: { ...process.env, NODE_ENV: 'production', STORE_FILE: storeFile, SHUTDOWN_MS: '4000' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  child = proc
  let stderr = ''
  proc.stderr?.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  const port = await new Promise<number>((resolve) =>
    proc.once('message', (m) => resolve((m as { port: number }).port)),
  )

  // ten clients, each placing orders one after another until the server stops taking them; every
  // fourth order of each queues a task that only ends when shutdown aborts it
  const seen = new Map<string, Mode>()
  const answers: number[] = []
  let signalled = false
  const client = async () => {
    for (let n = 0; ; n++) {
      const mode: Mode = n % 4 === 3 ? 'hang' : n % 2 ? 'slow' : 'fast'
      let status: number
      let body: { result?: { data?: { taskId?: string } } }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/place`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ mode }),
        })
        status = res.status
        body = await res.json()
      } catch {
        return // refused or closed: the server has stopped taking requests
      }
      answers.push(status)
      const taskId = body.result?.data?.taskId
      if (taskId) seen.set(taskId, mode)
      if (answers.length === 60 && !signalled) {
        signalled = true
        proc.kill('SIGTERM')
      }
    }
  }
  await Promise.all(Array.from({ length: 10 }, client))

  expect(await exited).toBe(0)
  // every request that got an answer got its task queued
  expect(answers.every((s) => s === 200)).toBe(true)
  expect(seen.size).toBe(answers.length)

  const last = new Map<string, TaskRecord>()
  for (const line of readFileSync(storeFile, 'utf8').split('\n').filter(Boolean)) {
    const record = JSON.parse(line) as TaskRecord
    last.set(record.id, record)
  }
  // every task a client was told about was recorded, and no record was left queued or running
  for (const id of seen.keys()) expect(last.has(id), id).toBe(true)
  const unfinished = [...last.values()].filter((r) => r.status === 'queued' || r.status === 'running')
  expect(unfinished).toEqual([])

  const hanging = [...seen].filter(([, mode]) => mode === 'hang').map(([id]) => id)
  expect(hanging.length).toBeGreaterThan(0)
  for (const id of hanging) {
    expect(last.get(id)).toMatchObject({ status: 'interrupted', error: { code: 'UNAVAILABLE' } })
  }
  for (const [id, mode] of seen) if (mode === 'fast') expect(last.get(id)?.status, id).toBe('succeeded')

  // the shutdown's last line lists exactly the tasks it interrupted
  const lines = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; interrupted?: string[] })
  const stopped = lines.find((l) => l.msg === 'stopped')
  // keep-alive connections were let go after their current response: none had to be cut
  expect(lines.map((l) => l.msg)).not.toContain('shutting down: closing the connections still open')
  const interrupted = [...last.values()].filter((r) => r.status === 'interrupted').map((r) => r.id)
  expect(new Set(stopped?.interrupted)).toEqual(new Set(interrupted))
}, 30_000)
