export {
  createFaultlineMsw,
  type FaultlineHooks,
  type FaultlineMsw,
  type FaultlineMswOptions,
  type MockImpl,
  type MockRecord,
} from './kit'
export { type FaultlineMatchers, faultlineMatchers } from './matchers'
export { UnmockedProcedureError } from './mock-router'
