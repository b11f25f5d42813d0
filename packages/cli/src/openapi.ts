import { IMPLICIT_CODES } from '@faultline/contract'
import { type CatalogJson, CliError, checkCatalogJson, isRecord, type JsonSchema } from './catalog-json'
import { componentNames, errorComponents, ref } from './openapi-schemas'

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/** What the merge needs of a document; any OpenAPI 3.1 document object fits. */
export interface OpenApiDocumentLike {
  openapi: string
}

/** A document with the contract's components: its schemas and responses are there for certain. */
export type WithErrorComponents<TDocument> = TDocument & {
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, JsonSchema> }
}

/** The merged document, and the operations no procedure of the contract matched (left unchanged). */
export interface MergeResult<TDocument> {
  document: WithErrorComponents<TDocument>
  unmatched: string[]
}

function checkDocument(document: unknown, source: string): Record<string, unknown> {
  if (!isRecord(document)) throw new CliError(`${source} is not an OpenAPI document (expected a JSON object)`)
  const version = document.openapi
  if (version === undefined) {
    throw new CliError(
      typeof document.swagger === 'string'
        ? `${source} is Swagger ${document.swagger}, not OpenAPI 3.1`
        : `${source} is not an OpenAPI document (it has no "openapi" version field)`,
    )
  }
  if (typeof version !== 'string' || !/^3\.1\.\d+/.test(version)) {
    throw new CliError(
      typeof version === 'string' && version.startsWith('3.0')
        ? `${source} is OpenAPI ${version}; the error schemas are JSON Schema 2020-12, which needs OpenAPI 3.1`
        : `${source} has "openapi": ${JSON.stringify(version)}; expected a 3.1 version such as "3.1.0"`,
    )
  }
  for (const key of ['paths', 'components'] as const) {
    if (document[key] !== undefined && !isRecord(document[key]))
      throw new CliError(`${source}: "${key}" must be an object`)
  }
  return document
}

function checkContract(contract: unknown, source: string): Required<CatalogJson> {
  const checked = checkCatalogJson(contract, source)
  if (!checked.procedures) {
    throw new CliError(
      `${source} lists no procedures: export it from a module that also exports the tRPC router (or name it with --router)`,
    )
  }
  for (const [path, p] of Object.entries(checked.procedures)) {
    for (const code of p.declares ?? []) {
      if (!Object.hasOwn(checked.codes, code)) {
        throw new CliError(`${source}: procedure ${path} declares ${code}, which is not one of its codes`)
      }
    }
  }
  return checked as Required<CatalogJson>
}

/** The procedure an operation serves: trpc-to-openapi's operationId is its path, dots turned into dashes. */
function procedureFinder(procedures: CatalogJson['procedures'] & object) {
  const exact = new Map<string, string>()
  const dashed = new Map<string, string>()
  for (const path of Object.keys(procedures)) {
    exact.set(path, path)
    dashed.set(path.replaceAll('.', '-'), path)
  }
  return (operationId: unknown) =>
    typeof operationId === 'string' ? (exact.get(operationId) ?? dashed.get(operationId)) : undefined
}

/** The responses of a procedure's codes, one per status; codes sharing a status become a `oneOf`. */
function errorResponses(contract: Required<CatalogJson>, path: string): [string, JsonSchema][] {
  const declares = contract.procedures[path]?.declares
  const implicit = IMPLICIT_CODES.filter((code) => Object.hasOwn(contract.codes, code))
  const codes = [...new Set([...(declares ?? Object.keys(contract.codes)), ...implicit])]
  const byStatus = new Map<number, string[]>()
  for (const code of codes) {
    const status = contract.codes[code]?.status as number
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, shared]) => {
      if (shared.length === 1) return [String(status), ref('responses', componentNames.response(shared[0] as string))]
      const oneOf = (name: (code: string) => string) => ({ oneOf: shared.map((c) => ref('schemas', name(c))) })
      return [
        String(status),
        {
          description: shared.map((c) => `${c}: ${contract.codes[c]?.message}`).join('; '),
          content: {
            'application/json': { schema: oneOf(componentNames.body) },
            'application/problem+json': { schema: oneOf(componentNames.problem) },
          },
        },
      ]
    })
}

const isErrorStatus = (key: string) => /^[45]([0-9]{2}|XX)$/.test(key)

/** The merge itself, naming its inputs in error messages; the CLI also reports the unmatched operations. */
export function mergeErrorContract<TDocument>(
  document: TDocument,
  contract: unknown,
  names: { document: string; contract: string },
): MergeResult<TDocument> {
  const checkedContract = checkContract(contract, names.contract)
  const out = structuredClone(checkDocument(document, names.document))
  const { schemas, responses } = errorComponents(checkedContract)
  const components = (out.components ?? {}) as Record<string, unknown>
  out.components = {
    ...components,
    schemas: { ...(components.schemas as object | undefined), ...schemas },
    responses: { ...(components.responses as object | undefined), ...responses },
  }

  const procedureOf = procedureFinder(checkedContract.procedures)
  const unmatched: string[] = []
  for (const [route, item] of Object.entries((out.paths ?? {}) as Record<string, unknown>)) {
    if (!isRecord(item)) continue
    for (const method of METHODS) {
      const operation = item[method]
      if (!isRecord(operation)) continue
      const path = procedureOf(operation.operationId)
      if (path === undefined) {
        unmatched.push(`${method.toUpperCase()} ${route}`)
        continue
      }
      // the contract is the truth about errors: the operation's other error responses go
      const kept = Object.entries(isRecord(operation.responses) ? operation.responses : {}).filter(
        ([status]) => !isErrorStatus(status),
      )
      operation.responses = Object.fromEntries([...kept, ...errorResponses(checkedContract, path)])
    }
  }
  return { document: out as WithErrorComponents<TDocument>, unmatched }
}

/**
 * Adds the error contract (a `faultline export` with procedures) to an OpenAPI 3.1 document, such as
 * trpc-to-openapi's: a response and schemas per code under `components`, and on each operation of a
 * procedure the responses of its codes by status. Returns a new document; throws naming bad input.
 */
export function addErrorsToOpenApi<TDocument extends OpenApiDocumentLike>(
  document: TDocument,
  contract: CatalogJson,
): WithErrorComponents<TDocument> {
  return mergeErrorContract(document, contract, { document: 'the document', contract: 'the contract' }).document
}
