import { type AnyCatalog, BUILTIN_ERRORS, type ErrorDefinition } from '@faultline/contract'
import type { DeclarationMap } from '@faultline/server'

/** A JSON Schema, as JSON. */
export type JsonSchema = Record<string, unknown>

/** One code of an exported catalog. */
export interface CodeJson {
  status: number
  trpc: string
  message: string
  retryable: boolean
  help?: string
  builtin: boolean
  /** JSON Schema of the code's data; `null` for a code without data. */
  data: JsonSchema | null
}

/** An exported catalog: the contract as data, for docs, generated clients and change checks. */
export interface CatalogJson {
  faultline: 1
  codes: Record<string, CodeJson>
  /** Each procedure's declared codes, when a router was given (`null`: it declares nothing explicitly). */
  procedures?: Record<string, { type: string; declares: string[] | null }>
}

function dataSchema(def: ErrorDefinition): JsonSchema | null {
  if (!def.data) return null
  const converter = (def.data['~standard'] as { jsonSchema?: { output?: (o: object) => JsonSchema } }).jsonSchema
  if (typeof converter?.output !== 'function') {
    return { description: `a ${def.data['~standard'].vendor} schema that does not describe itself as JSON Schema` }
  }
  try {
    const schema = { ...converter.output({ target: 'draft-2020-12' }) }
    delete schema.$schema
    return schema
  } catch (cause) {
    return {
      description: `not representable in JSON Schema: ${cause instanceof Error ? cause.message : String(cause)}`,
    }
  }
}

/** The catalog (and a router's declarations) as JSON. */
export function catalogToJson(catalog: AnyCatalog, declarations?: DeclarationMap): CatalogJson {
  const codes: Record<string, CodeJson> = {}
  for (const code of Object.keys(catalog.definitions).sort()) {
    const def = catalog.definitions[code] as ErrorDefinition
    const entry: CodeJson = {
      status: def.status,
      trpc: def.trpc,
      message: def.message,
      retryable: def.retryable,
      builtin: Object.hasOwn(BUILTIN_ERRORS, code),
      data: dataSchema(def),
    }
    if (def.help !== undefined) entry.help = def.help
    codes[code] = entry
  }
  const out: CatalogJson = { faultline: 1, codes }
  if (declarations) {
    out.procedures = {}
    for (const path of Object.keys(declarations).sort()) {
      const d = declarations[path] as DeclarationMap[string]
      out.procedures[path] = { type: d.type, declares: d.declares ?? null }
    }
  }
  return out
}

/** Thrown for input the CLI cannot use; its message says what was wrong. */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}

/** Whether a value is a plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads an exported catalog, saying exactly what is wrong with a malformed one. */
export function parseCatalogJson(text: string, source: string): CatalogJson {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new CliError(`${source} is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
  return checkCatalogJson(value, source)
}

/** Checks that a value is an exported catalog, saying exactly what is wrong with a malformed one. */
export function checkCatalogJson(value: unknown, source: string): CatalogJson {
  if (!isRecord(value) || value.faultline !== 1) {
    throw new CliError(`${source} is not a Faultline catalog export (expected "faultline": 1 at the top)`)
  }
  if (!isRecord(value.codes)) throw new CliError(`${source}: "codes" must be an object of code definitions`)
  for (const [code, def] of Object.entries(value.codes)) {
    if (!isRecord(def) || typeof def.status !== 'number' || typeof def.message !== 'string') {
      throw new CliError(`${source}: code ${code} needs a numeric "status" and a string "message"`)
    }
    if (def.data !== null && !isRecord(def.data))
      throw new CliError(`${source}: code ${code} has "data" that is neither null nor a JSON Schema`)
  }
  if (value.procedures !== undefined) {
    if (!isRecord(value.procedures)) throw new CliError(`${source}: "procedures" must be an object`)
    for (const [path, p] of Object.entries(value.procedures)) {
      if (!isRecord(p) || (p.declares !== null && !Array.isArray(p.declares))) {
        throw new CliError(`${source}: procedure ${path} needs "declares": a list of codes or null`)
      }
    }
  }
  return value as unknown as CatalogJson
}
