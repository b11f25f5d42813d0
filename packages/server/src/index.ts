export {
  createFaultline,
  type Faultline,
  type FormatterOptions,
  type OnErrorOptions,
  type ResolveOptions,
  type ResponseMeta,
  type ResponseMetaOptions,
} from './faultline'
export { type Handler, type HandlerFn, type HandlerInfo, handle } from './handlers'
export { createConsoleLogger } from './log'
export type { FailureSource, FaultlineOptions, Logger, ReportEvent, ValidationOptions } from './options'
export { REQUEST_ID_HEADER } from './request-id'
export type { DeclaredShape, FaultlineShape } from './shape'
export { summarizeIssues, toIssues } from './validation'
