import type { JsonSchema } from './catalog-json'

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/

function key(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name)
}

function asSchema(value: unknown): JsonSchema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : undefined
}

/**
 * A TypeScript type for the JSON Schema subset error data uses: objects,
 * arrays, tuples of scalars, enums, consts and unions. Anything else is
 * `unknown`, never a guess.
 */
export function schemaToTs(schema: JsonSchema | null | undefined, indent = ''): string {
  if (!schema) return 'undefined'
  if ('const' in schema) return JSON.stringify(schema.const)
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ') || 'never'
  const union = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined
  if (Array.isArray(union)) return union.map((s) => schemaToTs(asSchema(s), indent)).join(' | ') || 'never'
  const type = schema.type
  if (Array.isArray(type)) return type.map((t) => schemaToTs({ ...schema, type: t }, indent)).join(' | ')
  switch (type) {
    case 'string':
      return 'string'
    case 'number':
    case 'integer':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'null':
      return 'null'
    case 'array': {
      const items = asSchema(schema.items)
      return items ? `Array<${schemaToTs(items, indent)}>` : 'unknown[]'
    }
    case 'object': {
      const properties = asSchema(schema.properties) ?? {}
      const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : [])
      const inner = `${indent}  `
      const lines = Object.entries(properties).map(
        ([name, s]) => `${inner}${key(name)}${required.has(name) ? '' : '?'}: ${schemaToTs(asSchema(s), inner)}`,
      )
      const extra = asSchema(schema.additionalProperties)
      if (extra) lines.push(`${inner}[key: string]: ${schemaToTs(extra, inner)}`)
      return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : 'Record<string, unknown>'
    }
    default:
      return 'unknown'
  }
}
