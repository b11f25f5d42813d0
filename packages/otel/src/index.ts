export { ERROR_COUNTER } from './error-counter'
export type { OpenTelemetryOptions } from './options'
export { withOpenTelemetry } from './with-open-telemetry'
