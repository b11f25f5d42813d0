import { PROBLEM_JSON } from '@faultline/contract'
import type { CatalogJson, CodeJson, JsonSchema } from './catalog-json'
import { isRecord } from './catalog-json'

/** Names of the OpenAPI components the error contract adds; prefixed so they never meet an app's own. */
export const componentNames = {
  issue: 'Faultline.Issue',
  retry: 'Faultline.Retry',
  envelope: (code: string) => `Faultline.${code}.Envelope`,
  data: (code: string) => `Faultline.${code}.Data`,
  body: (code: string) => `Faultline.${code}.Body`,
  problem: (code: string) => `Faultline.${code}.Problem`,
  response: (code: string) => `Faultline.${code}`,
}

/** A `$ref` to a schema or response component. */
export const ref = (kind: 'schemas' | 'responses', name: string) => ({ $ref: `#/components/${kind}/${name}` })

const ISSUE: JsonSchema = {
  type: 'object',
  description: 'One field-level problem of the input.',
  properties: {
    path: { type: 'array', items: { type: ['string', 'integer'] } },
    pointer: { type: 'string', description: 'The same place as an RFC 6901 JSON Pointer' },
    code: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['path', 'pointer', 'code', 'message'],
}

const RETRY: JsonSchema = {
  type: 'object',
  description: 'When and whether a client may try again.',
  properties: {
    retryable: { type: 'boolean' },
    afterMs: { type: 'number', minimum: 0, description: 'How long to wait first, in milliseconds' },
  },
  required: ['retryable'],
}

// component names allow letters, digits, `.`, `-` and `_` only
const componentSafe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '_')

/**
 * A code's data schema as components. A schema's own references (`#` for itself, `#/$defs/…`) would
 * resolve against the OpenAPI document once embedded, so they are pointed at components of their own.
 */
function dataComponents(code: string, schema: JsonSchema): Record<string, JsonSchema> {
  const root = componentNames.data(code)
  const defName = (pointer: string) => `${root}.${componentSafe(pointer.replaceAll('~1', '/').replaceAll('~0', '~'))}`
  const relocate = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(relocate)
    if (!isRecord(node)) return node
    const out: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(node)) {
      if (key === '$defs') continue
      if (key === '$ref' && typeof value === 'string') {
        const def = /^#\/\$defs\/(.+)$/.exec(value)?.[1]
        out.$ref = value === '#' ? ref('schemas', root).$ref : def ? ref('schemas', defName(def)).$ref : value
      } else out[key] = relocate(value)
    }
    return out
  }
  const components: Record<string, JsonSchema> = { [root]: relocate(schema) as JsonSchema }
  if (isRecord(schema.$defs)) {
    for (const [name, def] of Object.entries(schema.$defs)) components[defName(name)] = relocate(def) as JsonSchema
  }
  return components
}

function envelopeSchema(code: string, def: CodeJson): JsonSchema {
  const required = ['v', 'code', 'status', 'message', 'retry']
  if (def.data) required.push('data')
  return {
    type: 'object',
    title: code,
    description: `${def.message} (HTTP ${def.status}). The Faultline envelope, version 1.`,
    properties: {
      v: { const: 1 },
      code: { const: code },
      status: { type: 'integer', description: 'The HTTP status of the response that carried it' },
      message: { type: 'string', description: 'Safe to show to a user' },
      ...(def.data ? { data: ref('schemas', componentNames.data(code)) } : {}),
      issues: { type: 'array', items: ref('schemas', componentNames.issue) },
      declared: { type: 'boolean', description: 'Whether the procedure declared this code' },
      requestId: { type: 'string' },
      traceId: { type: 'string' },
      retry: ref('schemas', componentNames.retry),
      help: { type: 'string', format: 'uri' },
      debug: { type: 'object', description: "Server internals: only with expose 'debug', never in production" },
    },
    required,
  }
}

// what trpc-to-openapi's REST handler (and tRPC's own, inside its response) sends: tRPC's error shape
function bodySchema(code: string): JsonSchema {
  return {
    type: 'object',
    description: "tRPC's error shape; the Faultline envelope is `data.error`.",
    properties: {
      code: {
        type: ['string', 'integer'],
        description: "tRPC's code: its key over REST, its JSON-RPC number over tRPC",
      },
      message: { type: 'string' },
      data: {
        type: 'object',
        properties: {
          code: { type: 'string', description: "tRPC's code key" },
          httpStatus: { type: 'integer' },
          path: { type: 'string', description: "The procedure's path" },
          error: ref('schemas', componentNames.envelope(code)),
        },
        required: ['code', 'httpStatus', 'error'],
      },
    },
    required: ['code', 'message', 'data'],
  }
}

function problemSchema(code: string, def: CodeJson): JsonSchema {
  return {
    type: 'object',
    title: `${code} (RFC 9457)`,
    description: `${def.message}, as RFC 9457 problem details with the envelope's members as extensions.`,
    properties: {
      type: { const: def.help ?? `urn:faultline:error:${code}` },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      code: { const: code },
      requestId: { type: 'string' },
      traceId: { type: 'string' },
      ...(def.data ? { data: ref('schemas', componentNames.data(code)) } : {}),
      issues: { type: 'array', items: ref('schemas', componentNames.issue) },
      retry: ref('schemas', componentNames.retry),
      errors: {
        type: 'array',
        description: 'Validation errors with JSON Pointers (RFC 9457 section 3)',
        items: {
          type: 'object',
          properties: { detail: { type: 'string' }, pointer: { type: 'string' }, code: { type: 'string' } },
          required: ['detail', 'pointer', 'code'],
        },
      },
    },
    required: ['type', 'title', 'status', 'detail', 'code'],
  }
}

/** The components the contract adds: per code its envelope, data, body and problem schemas, and a response. */
export function errorComponents(contract: CatalogJson) {
  const schemas: Record<string, JsonSchema> = { [componentNames.issue]: ISSUE, [componentNames.retry]: RETRY }
  const responses: Record<string, JsonSchema> = {}
  for (const [code, def] of Object.entries(contract.codes)) {
    if (def.data) Object.assign(schemas, dataComponents(code, def.data))
    schemas[componentNames.envelope(code)] = envelopeSchema(code, def)
    schemas[componentNames.body(code)] = bodySchema(code)
    schemas[componentNames.problem(code)] = problemSchema(code, def)
    responses[componentNames.response(code)] = {
      description: `${code}: ${def.message}`,
      content: {
        'application/json': { schema: ref('schemas', componentNames.body(code)) },
        [PROBLEM_JSON]: { schema: ref('schemas', componentNames.problem(code)) },
      },
    }
  }
  return { schemas, responses }
}
