/** The catalog export's JSON format: the whole export, one code, and a code's data schema. */
export type { CatalogJson, CodeJson, JsonSchema } from './catalog-json'
/** The catalog (and a router's declarations from `inspectDeclarations`) as the JSON `faultline export` writes. */
export { catalogToJson } from './catalog-json'
/** Runs the `faultline` command on its arguments and resolves with the exit code; `CliIO` is where it writes. */
export { type CliIO, run } from './cli'
/** Adds the error contract to an OpenAPI 3.1 document: what it needs of one, and the document it returns. */
export { addErrorsToOpenApi, type OpenApiDocumentLike, type WithErrorComponents } from './openapi'
