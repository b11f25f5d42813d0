export {
  BUILTIN_ERRORS,
  type BuiltinCode,
  IMPLICIT_CODES,
  type ImplicitCode,
  isValidCode,
  TRANSPORT_ERROR,
  type TRPCCodeKey,
  trpcKeyForStatus,
} from './codes'
export {
  type AnyCatalog,
  type Catalog,
  CatalogDefinitionError,
  type CatalogOptions,
  type codesOf,
  defineErrors,
  type ErrorDefinition,
  type ErrorDefinitionInput,
  type ErrorFactory,
  getDefinition,
  type inferCodes,
  type inferDefinitions,
  type inferErrorData,
  type isRegistered,
  isStandardSchema,
  type Register,
  type RegisteredCatalog,
} from './define'
export {
  type AnyEnvelope,
  type BuiltinEnvelope,
  type DebugCause,
  type DebugInfo,
  type DeclaredBrand,
  ENVELOPE_VERSION,
  type ErrorEnvelope,
  type envelopeOf,
  type inferEnvelope,
  type RetryInfo,
} from './envelope'
export {
  FaultlineError,
  type FaultlineErrorOptions,
} from './error'
export {
  groupIssuesByField,
  type Issue,
  toJsonPointer,
} from './issues'
export {
  type ParseResult,
  parseEnvelope,
  withoutPrototypeKeys,
} from './parse'
export {
  PROBLEM_JSON,
  type ProblemDetails,
  toProblemDetails,
} from './problem'
export type { WireShape, WireShapeData } from './wire'
