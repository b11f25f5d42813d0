import { expect } from 'vitest'
import { type FaultlineMatchers, faultlineMatchers } from './matchers'

expect.extend(faultlineMatchers)

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: vitest's own declaration uses any here
  interface Matchers<T = any> extends FaultlineMatchers<T> {}
}
