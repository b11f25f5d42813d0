import type { CatalogJson, JsonSchema } from './catalog-json'

/** One difference between two catalogs: breaking ones fail the check, notes do not. */
export interface Change {
  kind: 'breaking' | 'note'
  message: string
}

function asSchema(value: unknown): JsonSchema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : undefined
}

// a schema's shape without its object members, to tell "the type changed" from "a field changed"
function typeOf(schema: JsonSchema): string {
  const { properties: _p, required: _r, description: _d, additionalProperties: _a, ...rest } = schema
  return JSON.stringify(rest, Object.keys(rest).sort())
}

function compareData(where: string, before: JsonSchema, after: JsonSchema, changes: Change[]) {
  if (typeOf(before) !== typeOf(after)) {
    changes.push({ kind: 'breaking', message: `${where} changed type: clients reading it break` })
    return
  }
  const oldProps = asSchema(before.properties) ?? {}
  const newProps = asSchema(after.properties) ?? {}
  const oldRequired = new Set((before.required as string[] | undefined) ?? [])
  const newRequired = new Set((after.required as string[] | undefined) ?? [])
  for (const [name, schema] of Object.entries(oldProps)) {
    const field = `${where}.${name}`
    const next = asSchema(newProps[name])
    if (!next) {
      changes.push({ kind: 'breaking', message: `${field} was removed: clients reading it get undefined` })
      continue
    }
    if (oldRequired.has(name) && !newRequired.has(name)) {
      changes.push({ kind: 'breaking', message: `${field} became optional: clients relying on it may get undefined` })
    }
    const prev = asSchema(schema)
    if (prev) compareData(field, prev, next, changes)
  }
  for (const name of Object.keys(newProps)) {
    if (Object.hasOwn(oldProps, name)) continue
    const field = `${where}.${name}`
    if (newRequired.has(name)) changes.push({ kind: 'breaking', message: `${field} was added as required` })
    else changes.push({ kind: 'note', message: `${field} was added as optional` })
  }
}

/**
 * The differences between two exported catalogs. Breaking: a code removed or
 * renamed, a status changed, a data schema narrowed (a field removed, made
 * optional, added as required, or of another type), a procedure declaring a
 * code it did not before. Everything else additive is a note.
 */
export function compareCatalogs(before: CatalogJson, after: CatalogJson): Change[] {
  const changes: Change[] = []
  for (const [code, old] of Object.entries(before.codes)) {
    const next = after.codes[code]
    if (!next) {
      changes.push({
        kind: 'breaking',
        message: `${code} was removed (or renamed): clients matching on it stop seeing it`,
      })
      continue
    }
    if (old.status !== next.status) {
      changes.push({ kind: 'breaking', message: `${code} changed status from ${old.status} to ${next.status}` })
    }
    if (old.data && !next.data) changes.push({ kind: 'breaking', message: `${code} no longer carries data` })
    else if (!old.data && next.data) changes.push({ kind: 'note', message: `${code} now carries data` })
    else if (old.data && next.data) compareData(`${code} data`, old.data, next.data, changes)
    if (old.retryable !== next.retryable) {
      changes.push({ kind: 'note', message: `${code} is ${next.retryable ? 'now' : 'no longer'} retryable` })
    }
    if (old.message !== next.message) changes.push({ kind: 'note', message: `${code} has a new default message` })
  }
  for (const code of Object.keys(after.codes)) {
    if (!Object.hasOwn(before.codes, code)) changes.push({ kind: 'note', message: `${code} was added` })
  }
  for (const [path, next] of Object.entries(after.procedures ?? {})) {
    const old = before.procedures?.[path]
    if (!old || !next.declares) continue
    // a procedure without declarations could already send any code
    if (old.declares === null) {
      changes.push({ kind: 'note', message: `${path} now declares its errors` })
      continue
    }
    for (const code of next.declares) {
      if (!old.declares.includes(code)) {
        changes.push({
          kind: 'breaking',
          message: `${path} now declares ${code}: clients' exhaustive handling misses it`,
        })
      }
    }
    for (const code of old.declares) {
      if (!next.declares.includes(code)) changes.push({ kind: 'note', message: `${path} no longer declares ${code}` })
    }
  }
  for (const path of Object.keys(before.procedures ?? {})) {
    if (after.procedures && !Object.hasOwn(after.procedures, path))
      changes.push({ kind: 'note', message: `${path} is gone` })
  }
  return changes
}
