// The packages as a user gets them from npm: every packed tarball installed with npm into a plain
// app outside the workspace (./app, the README's tour), type-checked against the built declarations
// and run over HTTP, answering with the typed errors the README promises.
import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, inject, test, vi } from 'vitest'
import { exec, plainEnv } from './exec'

const appDir = fileURLToPath(new URL('./app/', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'faultline-adoption-'))
let server: ChildProcess | undefined
let serverOut = ''
let serverErr = ''
let url = ''

/** The app's package.json with every packed package as a dependency, taken from its tarball. */
function withTarballs(manifest: { dependencies: Record<string, string> }) {
  const tarballs = Object.fromEntries(inject('packed').map(({ name, tarball }) => [name, `file:${tarball}`]))
  // overrides make the packages' ranges on each other (`"@faultline/contract": "^0.1.0"`) take the tarballs too
  return { ...manifest, dependencies: { ...manifest.dependencies, ...tarballs }, overrides: tarballs }
}

/** Starts the app's HTTP server in production mode and resolves once it listens. */
function startServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: dir,
      env: plainEnv({ NODE_ENV: 'production', PORT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server = child
    child.stdout.on('data', (chunk: Buffer) => {
      serverOut += chunk
      const port = /\{"listening":(\d+)\}/.exec(serverOut)?.[1]
      if (port) resolve(`http://127.0.0.1:${port}`)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      serverErr += chunk
    })
    child.on('exit', (status) => reject(new Error(`the app's server exited (${status}):\n${serverErr}`)))
  })
}

/** Runs one of the app's scripts with tsx and returns the JSON lines it printed. */
async function runScript(file: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  const ran = await exec(process.execPath, ['--import', 'tsx', file, ...args], { cwd: dir })
  expect(ran.status, ran.stderr).toBe(0)
  return ran.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
}

beforeAll(async () => {
  cpSync(appDir, dir, { recursive: true, filter: (source) => !source.includes('node_modules') })
  const manifestFile = join(dir, 'package.json')
  writeFileSync(manifestFile, JSON.stringify(withTarballs(JSON.parse(readFileSync(manifestFile, 'utf8'))), null, 2))
  const install = await exec('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir })
  if (install.status !== 0) throw new Error(`npm install failed (${install.status}):\n${install.stderr}`)
  url = await startServer()
})

afterAll(() => {
  server?.kill()
  rmSync(dir, { recursive: true, force: true })
})

test('the app type-checks against the built declarations, and they check in full', async () => {
  const tsc = join(dir, 'node_modules/typescript/bin/tsc')
  const [app, declarations] = await Promise.all([
    exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir }),
    exec(process.execPath, [tsc, '-p', 'tsconfig.declarations.json'], { cwd: dir }),
  ])
  expect(app.stdout, 'the app: tsc --noEmit').toBe('')
  expect(app.status).toBe(0)
  expect(declarations.stdout, "the packages' declarations: tsc --noEmit").toBe('')
  expect(declarations.status).toBe(0)
})

test('the typed client narrows each error by code, with its typed data', async () => {
  const [report] = await runScript('src/client.ts', url)
  expect(report).toEqual({
    user: { id: 'u_1', name: 'Ada' },
    notFound: { userId: 'u_404', status: 404, requestId: 'adoption-1' },
    takenEmail: 'taken@example.com',
    invalid: {
      code: 'VALIDATION_FAILED',
      fields: { email: [expect.any(String)], name: [expect.any(String)] },
    },
    declined: 'declined: insufficient_funds',
    limited: 'retry in 2000 ms',
    crash: { code: 'INTERNAL', message: 'Internal server error', requestId: 'adoption-1' },
    anonymous: { code: 'UNAUTHORIZED', status: 401 },
  })
})

test('a crash is redacted on the wire, with a request id header; its log line keeps the cause', async () => {
  const response = await fetch(`${url}/stats`)
  const body = await response.text()
  const requestId = response.headers.get('x-request-id')
  expect(response.status).toBe(500)
  expect(requestId).toMatch(/^req_[0-9a-f]+$/)
  expect(JSON.parse(body).error.json.data.error).toEqual({
    v: 1,
    code: 'INTERNAL',
    status: 500,
    message: 'Internal server error',
    retry: { retryable: false },
    requestId,
  })
  expect(body).not.toMatch(/secret_users|db\.ts|stack/)

  // the log line and the report hook's line, written by the server for that request id
  await vi.waitFor(() => {
    const logLine = serverErr.split('\n').find((line) => line.includes(`"requestId":"${requestId}"`)) ?? '{}'
    expect(JSON.parse(logLine)).toMatchObject({ level: 'error', code: 'INTERNAL', handled: false, path: 'stats' })
    expect(logLine).toContain('secret_users')
    expect(serverOut).toContain(JSON.stringify({ reported: 'INTERNAL', handled: false, requestId }))
  })
})

test("an error's headers reach the response, and a valid request id is kept", async () => {
  const limited = await fetch(`${url}/search`, { headers: { 'x-request-id': 'trace-42' } })
  expect(limited.status).toBe(429)
  expect(limited.headers.get('retry-after')).toBe('2')
  expect(limited.headers.get('x-request-id')).toBe('trace-42')

  const anonymous = await fetch(`${url}/user.me`)
  expect(anonymous.status).toBe(401)
  expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
})

test("the msw testing kit answers with the app's own router and formatter", async () => {
  const lines = await runScript('src/mocked.ts')
  expect(lines).toContainEqual({ mocked: 'u_mocked' })
})

test('the faultline bin exports the catalog', async () => {
  const ran = await exec(join(dir, 'node_modules/.bin/faultline'), ['export', 'src/errors.ts'], { cwd: dir })
  expect(ran.status, ran.stderr).toBe(0)
  expect(JSON.parse(ran.stdout).codes.USER_NOT_FOUND).toMatchObject({ status: 404, builtin: false })
})
