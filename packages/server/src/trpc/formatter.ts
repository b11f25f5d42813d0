import { getDefinition } from '@faultline/contract'
import type { TRPCError, TRPCProcedureType } from '@trpc/server'
import type { Config } from '../config'
import { declaredVerdict, type Engine, type FailureSite } from '../engine/engine'
import type { Failure } from '../engine/failure'
import { scopeFor } from '../engine/scope'
import { DECLARATION_PROBE } from './declarations'
import { passesPlainShapes, type TRPCWireShape, toShape } from './shape'

/** What tRPC passes to an error formatter. */
export interface FormatterOptions {
  error: TRPCError
  type: TRPCProcedureType | 'unknown'
  path: string | undefined
  input: unknown
  ctx: unknown
  shape: unknown
}

/** An app's own formatter, composed over Faultline's shape with `fl.formatter`. */
export type ComposedFormatter = (opts: FormatterOptions & { shape: TRPCWireShape }) => unknown

/** The failure's site, as a formatter learns it. */
export function siteOf(opts: Omit<FormatterOptions, 'shape'>): FailureSite {
  const source = opts.type === 'subscription' ? 'subscription' : 'request'
  return { source, path: opts.path, type: opts.type, ctx: opts.ctx, input: opts.input }
}

/**
 * The formatters of one instance: the root `errorFormatter`, which builds every shape (the app's
 * composed formatter runs over it), and each procedure's declaration, which notes its codes in the scope.
 */
export function createFormatters(engine: Engine, config: Config, newId: () => string) {
  let composed: ComposedFormatter | undefined
  // asked once: whether shapes of plain JSON may skip the transformer's walk
  const plainShapes = passesPlainShapes(config.transformer)

  const shapeOf = (opts: FormatterOptions, failure: Failure, declared: boolean | undefined): unknown => {
    const shape = toShape<TRPCWireShape>(failure, {
      path: opts.path,
      type: opts.type,
      declared,
      plainShapes,
    })
    if (!composed) return shape
    try {
      return composed({ ...opts, shape })
    } catch (cause) {
      engine.fault('hook', cause, "faultline: the app's error formatter threw; its fields are left out", {
        path: opts.path,
      })
      return shape
    }
  }

  /** tRPC's `errorFormatter`: turns every error into the catalog's envelope. */
  const errorFormatter = (opts: FormatterOptions): unknown => {
    try {
      const scope = scopeFor(opts.error, opts.ctx, newId)
      const { failure, declaredBy } = engine.resolve(scope, opts.error, siteOf(opts))
      return shapeOf(opts, failure, declaredVerdict(failure.envelope.code, declaredBy))
    } catch (cause) {
      const failure = engine.lastResort(cause, undefined)
      return toShape(failure, { path: opts.path, type: opts.type, declared: undefined, plainShapes: false })
    }
  }

  return {
    errorFormatter,
    /** Makes `fn` the app's formatter over Faultline's shape, for every error: declared ones too. */
    compose(fn: ComposedFormatter): (opts: FormatterOptions) => unknown {
      if (typeof fn !== 'function') throw new TypeError('fl.formatter(fn): fn must be a function')
      if (composed) {
        throw new TypeError('fl.formatter: this instance has a formatter already; make one instance per tRPC root')
      }
      composed = fn
      return errorFormatter
    },
    /** A procedure's declaration of `codes`, for tRPC's `.errors()`: noted in the scope, for the root formatter. */
    declare(codes: readonly string[]): (opts: FormatterOptions) => unknown {
      for (const code of codes) {
        if (!getDefinition(config.catalog, code)) {
          throw new TypeError(`fl.declare: ${String(code)} is not a code of this catalog`)
        }
      }
      const declared: ReadonlySet<string> = new Set(codes)
      return (opts) => {
        // inspectDeclarations asks what this procedure declares: answer, and format nothing
        const probe = (opts.error as { [DECLARATION_PROBE]?: string[][] })[DECLARATION_PROBE]
        if (probe) {
          probe.push([...declared])
          return undefined
        }
        try {
          const entry = engine.seen(scopeFor(opts.error, opts.ctx, newId), opts.error, siteOf(opts))
          entry.declaredBy ??= new Set()
          for (const code of declared) entry.declaredBy.add(code)
        } catch {
          // seen is total; this only guards the procedure from a bug
        }
        // no shape here: tRPC keeps a declaration's shape on the error object and sends it to every later
        // request that throws that object (a shared constant); the root formatter builds each request's own
        return undefined
      }
    },
  }
}
