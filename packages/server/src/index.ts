export {
  createFaultline,
  type Faultline,
  type FormatterOptions,
  type OnErrorOptions,
  type ResolveOptions,
  type ResponseMeta,
  type ResponseMetaOptions,
} from './faultline'
export type { FaultKind, Faults } from './faults'
export { type Handler, type HandlerFn, type HandlerInfo, handle } from './handlers'
export { type DeclarationMap, inspectDeclarations } from './inspect-declarations'
export { createConsoleLogger } from './log'
export type { FailureSource, FaultlineOptions, Logger, ReportEvent, ValidationOptions } from './options'
export { REQUEST_ID_HEADER } from './request-id'
export type {
  CatalogShape,
  CatalogShapeData,
  DeclaredDefinitionsShape,
  DeclaredShape,
  DefinitionsShape,
  FaultlineShape,
  RegisteredDeclaredShape,
  RegisteredShape,
} from './shape'
export type { Background } from './tasks'
export {
  type AnyTaskDefinition,
  defineTask,
  type RetryPolicy,
  type TaskContext,
  type TaskDefinition,
} from './tasks/define'
export { type InProcessRunnerOptions, inProcessRunner } from './tasks/in-process'
export type {
  AttemptOutcome,
  BackgroundOptions,
  DrainResult,
  TaskFailure,
  TaskHost,
  TaskJob,
  TaskRunner,
} from './tasks/runner'
export { isTerminal, memoryTaskStore, type TaskRecord, type TaskStatus, type TaskStore } from './tasks/store'
export { summarizeIssues, toIssues } from './validation'
