export {
  type CatalogJson,
  CliError,
  type CodeJson,
  catalogToJson,
  type JsonSchema,
  parseCatalogJson,
} from './catalog-json'
export { type Change, compareCatalogs } from './check'
export { type CliIO, run, USAGE } from './cli'
export { catalogToMarkdown } from './docs'
export { catalogToModule } from './generate'
export { findExports, loadSource } from './load'
export { schemaToTs } from './schema-ts'
