export {
  BUILTIN_ERRORS,
  type BuiltinCode,
  TRANSPORT_ERROR,
  trpcKeyForStatus,
  isValidCode,
  type TRPCCodeKey,
} from './codes'
export {
  defineErrors,
  getDefinition,
  isStandardSchema,
  CatalogDefinitionError,
  type AnyCatalog,
  type Catalog,
  type ErrorDefinition,
  type ErrorDefinitionInput,
  type ErrorFactory,
  type inferCodes,
  type inferErrorData,
} from './define'
export {
  FaultlineError,
  type FaultlineErrorOptions,
} from './error'
export {
  ENVELOPE_VERSION,
  type AnyEnvelope,
  type BuiltinEnvelope,
  type DebugCause,
  type DebugInfo,
  type ErrorEnvelope,
  type inferEnvelope,
  type RetryInfo,
} from './envelope'
export {
  groupIssuesByField,
  toJsonPointer,
  type Issue,
} from './issues'
export {
  parseEnvelope,
  type ParseResult,
} from './parse'
export {
  PROBLEM_JSON,
  toProblemDetails,
  type ProblemDetails,
} from './problem'
