// A worker process of the chaos suite, run on its own: the same Faultline set-up working the queue,
// with a short lock so a killed or frozen worker's jobs are taken back within about a second.
// Prints `ready` once it takes tasks.
import { startWorker } from '@faultline/bullmq'
import { buildChaosFaultline } from './faultline'

const { runner } = buildChaosFaultline('worker')
const worker = startWorker(runner, { concurrency: 5, lockDuration: 1000, stalledInterval: 400 })
await worker.ready()
process.stdout.write('ready\n')
