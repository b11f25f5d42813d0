/**
 * The example service's error contract, for `faultline export`: the catalog and
 * a router whose procedures declare their codes.
 */
import { createApi } from './router'

export { errors } from './errors'
export const router = createApi({ logger: false }).router
