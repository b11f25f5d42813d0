import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AnyCatalog } from '@faultline/contract'
import type { inspectDeclarations } from '@faultline/server'
import { CliError } from './catalog-json'

// the router type as the server's inspector takes it: @trpc/server is only the CLI's devDependency
type AnyRouter = Parameters<typeof inspectDeclarations>[0]

/** Loads a module from TypeScript or JavaScript source, with no separate build (tsx). */
export async function loadSource(file: string, cwd: string): Promise<Record<string, unknown>> {
  const path = resolve(cwd, file)
  if (!existsSync(path)) throw new CliError(`${file} does not exist`)
  const { tsImport } = await import('tsx/esm/api')
  return (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>
}

function isCatalog(value: unknown): value is AnyCatalog {
  const definitions = (value as { definitions?: unknown } | null)?.definitions
  return typeof definitions === 'object' && definitions !== null && 'INTERNAL' in definitions
}

function isRouter(value: unknown): value is AnyRouter {
  const def = (value as { _def?: { procedures?: unknown } } | null)?._def
  return typeof def?.procedures === 'object' && def.procedures !== null
}

function pick<T>(
  mod: Record<string, unknown>,
  file: string,
  what: string,
  flag: string,
  test: (v: unknown) => v is T,
  name: string | undefined,
): T | undefined {
  if (name !== undefined) {
    if (!Object.hasOwn(mod, name)) throw new CliError(`${file} has no export named ${name}`)
    if (!test(mod[name])) throw new CliError(`${file}: the export ${name} is not ${what}`)
    return mod[name] as T
  }
  const found = Object.entries(mod).filter(([, v]) => test(v))
  if (found.length > 1) {
    throw new CliError(
      `${file} exports several values that are ${what} (${found.map(([k]) => k).join(', ')}): choose one with ${flag}`,
    )
  }
  return found[0]?.[1] as T | undefined
}

/** The catalog (required) and router (optional) a module exports. */
export function findExports(
  mod: Record<string, unknown>,
  file: string,
  names: { catalog?: string | undefined; router?: string | undefined },
) {
  const catalog = pick(mod, file, 'a catalog made by defineErrors', '--catalog', isCatalog, names.catalog)
  if (!catalog) {
    const seen = Object.keys(mod).join(', ') || 'nothing'
    throw new CliError(`${file} exports no catalog made by defineErrors (it exports: ${seen})`)
  }
  const router = pick(mod, file, 'a tRPC router', '--router', isRouter, names.router)
  return { catalog, router }
}
