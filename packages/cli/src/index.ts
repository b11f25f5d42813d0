/** The catalog export's JSON format: the whole export, one code, and a code's data schema. */
export type { CatalogJson, CodeJson, JsonSchema } from './catalog-json'
/** Runs the `faultline` command on its arguments and resolves with the exit code; `CliIO` is where it writes. */
export { type CliIO, run } from './cli'
