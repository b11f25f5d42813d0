import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { inspectDeclarations } from '@faultline/server'
import { type CatalogJson, CliError, catalogToJson, parseCatalogJson } from './catalog-json'
import { compareCatalogs } from './check'
import { catalogToMarkdown } from './docs'
import { catalogToModule } from './generate'
import { findExports, loadSource } from './load'
import { mergeErrorContract } from './openapi'

export const USAGE = `faultline: the error catalog as a contract

  faultline export <module> [--catalog <name>] [--router <name>] [--out <file>]
      the catalog a TypeScript or JavaScript module exports, as JSON (with each
      procedure's declared codes when it also exports a router, or --router names one)
  faultline export <module | catalog.json> --openapi <openapi.json> [--out <file>]
      the OpenAPI 3.1 document (trpc-to-openapi's) with the error contract added:
      a response per code, and each procedure's operation answering with its codes
  faultline docs <catalog.json> [--out <file>] [--title <text>]
      a Markdown error reference
  faultline generate <catalog.json> [--out <file>]
      a dependency-free TypeScript module: codes, data types, envelope guards
  faultline check <old.json> <new.json>
      breaking changes between two exports; exits 1 when there are any

Exit codes: 0 done, 1 breaking changes found, 2 bad input.`

/** Where the CLI writes, and how it loads source modules (replaceable in tests). */
export interface CliIO {
  cwd: string
  stdout(text: string): void
  stderr(text: string): void
  load?: (file: string, cwd: string) => Promise<Record<string, unknown>>
}

function readText(file: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8')
  } catch {
    throw new CliError(`${file} cannot be read`)
  }
}

function readCatalog(file: string, cwd: string): CatalogJson {
  return parseCatalogJson(readText(file, cwd), file)
}

function readJson(file: string, cwd: string): unknown {
  try {
    return JSON.parse(readText(file, cwd))
  } catch (cause) {
    if (cause instanceof CliError) throw cause
    throw new CliError(`${file} is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}

/** The contract of a module (its catalog and router), or of a catalog already exported as JSON. */
async function exportContract(file: string, values: Record<string, string | undefined>, io: CliIO) {
  if (file.endsWith('.json')) return readCatalog(file, io.cwd)
  const mod = await (io.load ?? loadSource)(file, io.cwd)
  const { catalog, router } = findExports(mod, file, { catalog: values.catalog, router: values.router })
  return catalogToJson(catalog, router ? await inspectDeclarations(router) : undefined)
}

function emit(io: CliIO, out: string | undefined, text: string) {
  if (out) writeFileSync(resolve(io.cwd, out), text)
  else io.stdout(text)
}

function parse(args: string[], options: Record<string, { type: 'string' }>, positionals: number, command: string) {
  const parsed = parseArgs({ args, options, allowPositionals: true, strict: true })
  if (parsed.positionals.length !== positionals) {
    throw new CliError(
      `faultline ${command} takes ${positionals} file${positionals === 1 ? '' : 's'}; got ${parsed.positionals.length}`,
    )
  }
  return parsed as { values: Record<string, string | undefined>; positionals: string[] }
}

/** Runs the CLI; returns the exit code. Never throws for bad input: it says what was wrong. */
export async function run(argv: string[], io: CliIO): Promise<number> {
  const [command, ...args] = argv
  try {
    switch (command) {
      case 'export': {
        const { values, positionals } = parse(
          args,
          {
            catalog: { type: 'string' },
            router: { type: 'string' },
            out: { type: 'string' },
            openapi: { type: 'string' },
          },
          1,
          command,
        )
        const file = positionals[0] as string
        const contract = await exportContract(file, values, io)
        if (values.openapi === undefined) {
          emit(io, values.out, `${JSON.stringify(contract, null, 2)}\n`)
          return 0
        }
        const merged = mergeErrorContract(readJson(values.openapi, io.cwd), contract, {
          document: values.openapi,
          contract: file,
        })
        for (const operation of merged.unmatched) {
          io.stderr(`note: ${operation} is no procedure of ${file} (by operationId); its responses are unchanged\n`)
        }
        emit(io, values.out, `${JSON.stringify(merged.document, null, 2)}\n`)
        return 0
      }
      case 'docs': {
        const { values, positionals } = parse(args, { out: { type: 'string' }, title: { type: 'string' } }, 1, command)
        const markdown = catalogToMarkdown(
          readCatalog(positionals[0] as string, io.cwd),
          values.title ? { title: values.title } : {},
        )
        emit(io, values.out, markdown)
        return 0
      }
      case 'generate': {
        const { values, positionals } = parse(args, { out: { type: 'string' } }, 1, command)
        emit(io, values.out, catalogToModule(readCatalog(positionals[0] as string, io.cwd)))
        return 0
      }
      case 'check': {
        const { positionals } = parse(args, {}, 2, command)
        const [before, after] = positionals.map((f) => readCatalog(f, io.cwd)) as [CatalogJson, CatalogJson]
        const changes = compareCatalogs(before, after)
        const breaking = changes.filter((c) => c.kind === 'breaking')
        for (const c of changes) io.stdout(`${c.kind === 'breaking' ? 'BREAKING' : 'note'}: ${c.message}\n`)
        io.stdout(breaking.length ? `${breaking.length} breaking change(s)\n` : 'no breaking changes\n')
        return breaking.length ? 1 : 0
      }
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout(`${USAGE}\n`)
        return command === undefined ? 2 : 0
      default:
        throw new CliError(`unknown command ${JSON.stringify(command)}`)
    }
  } catch (error) {
    const known = error instanceof CliError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    io.stderr(`faultline: ${error instanceof Error ? error.message : String(error)}\n`)
    if (known) {
      io.stderr(`\n${USAGE}\n`)
      return 2
    }
    throw error
  }
}
