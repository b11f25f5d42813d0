// Runs the whole vitest suite (unit, integration and type tests) and closes with
// one line, `N passed, N failed`, counted from vitest's JSON report.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs')
const report = '.vitest-results.json'
rmSync(report, { force: true })

// the browser tests load the built page and drive Debian's chromium: both must be there first
const web = new URL('../apps/web/', import.meta.url)
const vite = join(dirname(createRequire(new URL('package.json', web)).resolve('vite/package.json')), 'bin/vite.js')
// the type-cost budget reads the packages' built declarations, as a user's project would
const tsdown = join(dirname(require.resolve('tsdown/package.json')), 'dist/run.mjs')
const packages = ['contract', 'server', 'client'].map((p) => new URL(`../packages/${p}/`, import.meta.url))
for (const [what, command, args, cwd] of [
  ...packages.map((dir) => [`build ${dir.pathname}`, process.execPath, [tsdown, '--log-level', 'warn'], dir]),
  ['build the example page', process.execPath, [vite, 'build', '--logLevel', 'warn'], web],
  ['find chromium', 'bash', ['scripts/ensure-chromium.sh'], undefined],
  // the BullMQ runner's tests start their own redis-server
  ['find redis-server', 'bash', ['scripts/ensure-redis.sh'], undefined],
]) {
  const step = spawnSync(command, args, { stdio: 'inherit', cwd })
  if (step.status !== 0) {
    console.error(`could not ${what}; no test was run`)
    process.exit(1)
  }
}

const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit' },
)

if (!existsSync(report)) {
  console.error('vitest wrote no report; it did not run the tests')
  process.exit(run.status || 1)
}
const results = JSON.parse(readFileSync(report, 'utf8'))
// a file that fails to load has no failing test of its own; count it so it is not lost
const brokenFiles = results.testResults.filter(
  (file) => file.status === 'failed' && !file.assertionResults.some((t) => t.status === 'failed'),
).length
const failed = results.numFailedTests + brokenFiles
console.log(`${results.numPassedTests} passed, ${failed} failed`)
process.exit(run.status === 0 && failed === 0 ? 0 : 1)
