export type { WireShape, WireShapeData } from '@faultline/contract'
export { FaultlineClientError, type TransportEnvelope } from './error'
export { fieldErrors, isFaultlineError, type MatchHandlers, match, type SafeResult, safe } from './helpers'
export type {
  inferErrorCode,
  inferFaultlineError,
  inferProcedureErrors,
  inferProcedurePath,
  inferShapeEnvelope,
  inferShapeErrors,
  narrowError,
} from './infer'
export { faultlineLink } from './link'
export { type TaskRecordLike, type TaskStatusClient, taskError, waitForTask } from './tasks'
export { type FetchFn, type FetchInit, faultlineFetch, TransportFailure } from './transport'
