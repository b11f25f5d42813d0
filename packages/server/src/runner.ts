/**
 * `@faultline/server/runner`: what a task runner's author needs (a queue runner such as
 * `@faultline/bullmq`). Apps import from `@faultline/server`.
 */
export type { AnyTaskDefinition, RetryPolicy } from './tasks/define'
export type { AttemptOutcome, DrainResult, TaskCarrier, TaskHost, TaskJob, TaskRunner } from './tasks/runner'
export { isTerminal, type TaskRecord, type TaskStatus } from './tasks/store'
