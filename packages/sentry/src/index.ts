export { defaultFingerprint } from './capture'
export type { ReportHook, SentryReportOptions } from './options'
export { sentryReport } from './report'
