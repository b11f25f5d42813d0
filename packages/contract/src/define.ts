import type { StandardSchemaV1 } from '@standard-schema/spec'
import {
  BUILTIN_ERRORS,
  type BuiltinCode,
  isValidCode,
  MAX_CODE_LENGTH,
  TRANSPORT_ERROR,
  type TRPCCodeKey,
  trpcKeyForStatus,
} from './codes'
import { FaultlineError, type FaultlineErrorOptions } from './error'

/** How a catalog entry is written. */
export interface ErrorDefinitionInput {
  /** HTTP status, 400-599. */
  status: number
  /** Default message, sent to clients: say what happened, never internals. */
  message: string
  /** Schema of the code's data (any Standard Schema; zod is the documented default). Must validate synchronously. */
  data?: StandardSchemaV1
  /** Whether a client may retry the same call. Defaults to `false`. */
  retryable?: boolean
  /** A URL that explains the error and how to handle it. */
  help?: string
}

/** A catalog entry after `defineErrors` filled in the defaults. */
export interface ErrorDefinition {
  readonly code: string
  readonly status: number
  readonly trpc: TRPCCodeKey
  readonly message: string
  readonly data: StandardSchemaV1 | undefined
  readonly retryable: boolean
  readonly help: string | undefined
}

type BuiltinDefs = { [K in BuiltinCode]: { status: (typeof BUILTIN_ERRORS)[K]['status']; message: string } }

/** The user's definitions merged over the built-ins. */
export type MergeBuiltins<TDefs> = Omit<BuiltinDefs, keyof TDefs> & TDefs

/** The data a code's constructor takes. */
export type inferDataInput<TDef> = TDef extends { data: infer S extends StandardSchemaV1 }
  ? StandardSchemaV1.InferInput<S>
  : undefined
/** The data a code's envelope carries, after its schema ran (`unknown` when the definition is not known statically). */
export type inferDataOutput<TDef> = TDef extends { data: infer S extends StandardSchemaV1 }
  ? StandardSchemaV1.InferOutput<S>
  : 'data' extends keyof TDef
    ? unknown
    : undefined

/** Builds a throwable error of one code. */
export type ErrorFactory<TCode extends string, TDef> = TDef extends { data: StandardSchemaV1 }
  ? (data: inferDataInput<TDef>, options?: FaultlineErrorOptions) => FaultlineError<TCode, inferDataOutput<TDef>>
  : (options?: FaultlineErrorOptions) => FaultlineError<TCode, undefined>

/**
 * What `defineErrors` returns: a constructor per code (the built-ins included),
 * plus the resolved definitions. `TDefs` is the app's own definitions, as written.
 */
export type Catalog<TDefs extends Record<string, ErrorDefinitionInput> = Record<string, ErrorDefinitionInput>> = {
  readonly [K in keyof MergeBuiltins<TDefs> & string]: ErrorFactory<K, MergeBuiltins<TDefs>[K]>
} & {
  /** Every code's resolved definition, built-ins included. */
  readonly definitions: { readonly [K in keyof MergeBuiltins<TDefs> & string]: ErrorDefinition }
  /**
   * Brands the catalog's type with the app's definitions, built-ins apart, so the server and
   * client can infer codes and data from it. Types read it through `inferDefinitions`: the
   * definitions object is a cheap type to carry through tRPC's generics, the catalog is not.
   */
  readonly '~types'?: TDefs
}

/** Any catalog. */
export interface AnyCatalog {
  readonly definitions: { readonly [code: string]: ErrorDefinition }
  readonly '~types'?: Record<string, ErrorDefinitionInput>
}
/** A catalog's own definitions, as written to `defineErrors` (the built-ins apart). */
export type inferDefinitions<TCatalog extends AnyCatalog> = NonNullable<TCatalog['~types']>
/** The codes of a catalog's definitions, the built-ins included. */
export type codesOf<TDefs> = (keyof TDefs | BuiltinCode) & string
/** The data one code carries, by the definitions (a built-in the app did not redefine carries none). */
export type dataOf<TDefs, TCode> = TCode extends keyof TDefs ? inferDataOutput<TDefs[TCode]> : undefined
/** The codes of a catalog. */
export type inferCodes<TCatalog extends AnyCatalog> = codesOf<inferDefinitions<TCatalog>>

/**
 * Registers the app's catalog, so that tRPC's types carry its error shapes at
 * almost no type-checking cost. Optional: without it every type is the same,
 * only dearer to check on large routers. Declare it once, next to the catalog:
 *
 * @example
 * export const errors = defineErrors({ ... })
 * declare module '@faultline/contract' {
 *   interface Register {
 *     errors: typeof errors
 *   }
 * }
 *
 * tRPC carries every procedure's error shape through each step of its builder
 * and of the client's types, and the type checker re-instantiates a shape that
 * is generic in the catalog at each step. For the registered catalog,
 * `createFaultline` and `fl.declare` give shapes that are generic in nothing
 * but code strings, so those steps cost nothing. One catalog per program: a
 * program that type-checks two apps together registers neither.
 */
// biome-ignore lint/suspicious/noEmptyInterface: apps add `errors` to it by declaration merging
export interface Register {}

/** The catalog registered in `Register`, or `never`. */
export type RegisteredCatalog = Register extends { errors: infer TCatalog extends AnyCatalog } ? TCatalog : never

/** Whether `TCatalog` is the registered catalog. */
export type isRegistered<TCatalog extends AnyCatalog> = [RegisteredCatalog] extends [never]
  ? false
  : [TCatalog] extends [RegisteredCatalog]
    ? [RegisteredCatalog] extends [TCatalog]
      ? true
      : false
    : false
/** The data type of one code of a catalog. */
export type inferErrorData<TCatalog extends AnyCatalog, TCode extends inferCodes<TCatalog>> = dataOf<
  inferDefinitions<TCatalog>,
  TCode
>

/** Thrown by `defineErrors` for a catalog that cannot work. */
export class CatalogDefinitionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CatalogDefinitionError'
  }
}

function check(code: string, def: unknown): asserts def is ErrorDefinitionInput {
  const fail = (what: string) => {
    throw new CatalogDefinitionError(`defineErrors: ${code} ${what}`)
  }
  if (!isValidCode(code)) {
    fail(`is not a valid code: use UPPER_SNAKE_CASE of at most ${MAX_CODE_LENGTH} characters (got ${code.length})`)
  }
  if (code === TRANSPORT_ERROR) fail('is reserved for client-side transport failures')
  if (typeof def !== 'object' || def === null) fail('must be an object like { status: 404, message: "…" }')
  const d = def as Record<string, unknown>
  const status = d.status
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    fail(`has status ${String(status)}; an error status is an integer from 400 to 599`)
  }
  if (typeof d.message !== 'string' || d.message.length === 0) fail('needs a non-empty default message')
  if (d.data !== undefined && !isStandardSchema(d.data)) {
    fail('has a data schema that is not a Standard Schema (zod 4, valibot, arktype… implement it)')
  }
  if (d.retryable !== undefined && typeof d.retryable !== 'boolean') fail('has a non-boolean retryable')
  if (d.help !== undefined && typeof d.help !== 'string') fail('has a help that is not a URL string')
  const builtin = (BUILTIN_ERRORS as Record<string, { status: number }>)[code]
  if (builtin && builtin.status !== status) {
    fail(`is built in with status ${builtin.status}; redefining it with ${String(status)} would break clients`)
  }
  if (builtin && d.data !== undefined) {
    fail('is built in and the server sends it without data; define a code of your own to carry data')
  }
}

/** Whether a value implements Standard Schema v1. */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false
  const std = (value as { '~standard'?: { version?: unknown; validate?: unknown } })['~standard']
  return typeof std === 'object' && std !== null && std.version === 1 && typeof std.validate === 'function'
}

type Builtin = (typeof BUILTIN_ERRORS)[BuiltinCode]

function resolve(code: string, def: ErrorDefinitionInput, builtin: Builtin | undefined): ErrorDefinition {
  return Object.freeze({
    code,
    status: def.status,
    trpc: builtin?.trpc ?? trpcKeyForStatus(def.status),
    message: def.message,
    data: def.data,
    retryable: def.retryable ?? builtin?.retryable ?? false,
    help: def.help,
  })
}

function factory(def: ErrorDefinition, stackTraces: boolean) {
  const build = (data: unknown, options: FaultlineErrorOptions | undefined) =>
    new FaultlineError({ ...options, code: def.code, message: options?.message ?? def.message, data })
  const make = stackTraces
    ? build
    : (data: unknown, options: FaultlineErrorOptions | undefined) => withoutStack(() => build(data, options))
  return def.data
    ? (data: unknown, options?: FaultlineErrorOptions) => make(data, options)
    : (options?: FaultlineErrorOptions) => make(undefined, options)
}

/** Options of `defineErrors`. */
export interface CatalogOptions {
  /**
   * Whether the catalog's constructors capture a stack trace. A catalog error
   * is an expected outcome: Faultline logs it without a stack, never reports
   * it, and sends its stack only under `debug` exposure. Capturing and then
   * formatting a stack costs more than the rest of sending the error, so in
   * production it is skipped: the error's `stack` is then its first line
   * (`FaultlineError: User not found`). A `cause` keeps its own stack.
   * Default: `true`, unless NODE_ENV is `production` when the catalog is defined.
   */
  stackTraces?: boolean
}

function currentNodeEnv(): string | undefined {
  // spelled out so a bundler's define for `process.env.NODE_ENV` replaces it; it throws where
  // there is no `process` at run time (Cloudflare Workers) and nothing replaced it
  try {
    return process.env.NODE_ENV
  } catch {
    return undefined
  }
}

/**
 * Runs `build` with stack capture off, where the engine has a writable
 * `Error.stackTraceLimit` (V8, JavaScriptCore); elsewhere errors keep their stacks.
 */
function withoutStack<T>(build: () => T): T {
  const E = Error as { stackTraceLimit?: unknown }
  const limit = E.stackTraceLimit
  if (typeof limit !== 'number' || !limitWritable()) return build()
  E.stackTraceLimit = 0
  try {
    return build()
  } finally {
    E.stackTraceLimit = limit
  }
}

// a frozen realm (SES lockdown, --frozen-intrinsics) makes the assignment throw
function limitWritable(): boolean {
  const desc = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')
  return desc !== undefined && (desc.writable === true || desc.set !== undefined)
}

/**
 * Defines the catalog of error codes an app may send, merged with the built-in
 * codes. Fails at once, naming the code, for a definition that cannot work.
 *
 * @example
 * const errors = defineErrors({
 *   USER_NOT_FOUND: { status: 404, message: 'User not found', data: z.object({ userId: z.string() }) },
 * })
 * throw errors.USER_NOT_FOUND({ userId })
 */
export function defineErrors<const TDefs extends Record<string, ErrorDefinitionInput>>(
  defs: TDefs,
  options: CatalogOptions = {},
): Catalog<TDefs> {
  if (typeof defs !== 'object' || defs === null || Array.isArray(defs)) {
    throw new CatalogDefinitionError('defineErrors: expected an object of { CODE: { status, message, … } }')
  }
  if (typeof options !== 'object' || options === null) {
    throw new CatalogDefinitionError('defineErrors: the options must be an object like { stackTraces: true }')
  }
  const stackTraces = options.stackTraces ?? currentNodeEnv() !== 'production'
  if (typeof stackTraces !== 'boolean') {
    throw new CatalogDefinitionError(
      `defineErrors: stackTraces must be true or false; got ${typeof stackTraces === 'string' ? `'${stackTraces}'` : String(stackTraces)}`,
    )
  }
  const definitions: Record<string, ErrorDefinition> = {}
  for (const [code, builtin] of Object.entries(BUILTIN_ERRORS)) {
    definitions[code] = resolve(code, builtin, builtin)
  }
  for (const [code, def] of Object.entries(defs)) {
    check(code, def)
    definitions[code] = resolve(code, def, (BUILTIN_ERRORS as Record<string, Builtin>)[code])
  }
  const catalog: Record<string, unknown> = { definitions: Object.freeze(definitions) }
  for (const def of Object.values(definitions)) catalog[def.code] = factory(def, stackTraces)
  return Object.freeze(catalog) as Catalog<TDefs>
}

/** The definition of a code in a catalog, or `undefined` for a code it does not know. */
export function getDefinition(catalog: AnyCatalog, code: string): ErrorDefinition | undefined {
  return Object.hasOwn(catalog.definitions, code) ? catalog.definitions[code] : undefined
}
