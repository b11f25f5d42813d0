export { type BullmqRunner, type BullmqRunnerOptions, createBullmqRunner } from './runner'
export type { TaskJobData, TaskQueue, TaskQueueJob } from './shared'
export { type FaultlineWorker, type StartWorkerOptions, startWorker } from './worker'
