// Runs a command as a user's shell would, for the tests that pack, lint and install the packages.
import { spawn } from 'node:child_process'

export interface Ran {
  status: number | null
  stdout: string
  stderr: string
}

/**
 * The environment without what a package manager or test runner sets for its own scripts
 * (`npm_*`, `NODE_ENV`): an install or build here must behave as it would in a user's shell.
 */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE_ENV'),
  )
  return { ...env, ...extra }
}

/** Runs `command` to its end and resolves with its exit status and output; never rejects on a failed command. */
export function exec(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? plainEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk
    })
    child.on('error', reject)
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}
