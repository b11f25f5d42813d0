import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * The projects measured. `plain` and `faultline` are the comparison. The stages between them add
 * one piece of Faultline at a time, with plain tRPC's client code, so the difference is attributed:
 * `catalog` (defineErrors and createFaultline), `formatter` (+ errorFormatter), `declared`
 * (+ `.errors(fl.declare(…))` on every procedure). `faultline` then swaps in the typed client code.
 */
export type Variant = 'plain' | 'catalog' | 'formatter' | 'declared' | 'faultline'

const STAGE: Record<Variant, number> = { plain: 0, catalog: 1, formatter: 2, declared: 3, faultline: 4 }

/** What tsc reports for one generated project. */
export interface TypeCost {
  procedures: number
  variant: Variant
  registered: boolean
  instantiations: number
  types: number
  memoryKb: number
  checkSeconds: number
}

const CODES = 30
const SAMPLE = 50
const root = fileURLToPath(new URL('../.generated/', import.meta.url))

function routerSource(variant: Variant, procedures: number, registered: boolean): string {
  const perRouter = 10
  const lines = ["import { initTRPC } from '@trpc/server'", "import { z } from 'zod'"]
  const stage = STAGE[variant]
  if (stage >= STAGE.catalog) {
    lines.push(
      "import { defineErrors } from '@faultline/contract'",
      "import { createFaultline } from '@faultline/server'",
      'export const errors = defineErrors({',
      ...Array.from(
        { length: CODES },
        (_, i) => `  CODE_${i}: { status: ${400 + (i % 50)}, message: 'm', data: z.object({ f${i}: z.string() }) },`,
      ),
      '})',
      ...(registered
        ? ["declare module '@faultline/contract' {", '  interface Register {', '    errors: typeof errors', '  }', '}']
        : []),
      'const fl = createFaultline({ errors, logger: false })',
      stage >= STAGE.formatter
        ? 'const t = initTRPC.create({ errorFormatter: fl.errorFormatter })'
        : 'export { fl }\nconst t = initTRPC.create()',
    )
  } else {
    lines.push('const t = initTRPC.create()')
  }
  const routers = Math.ceil(procedures / perRouter)
  for (let r = 0; r < routers; r++) {
    lines.push(`const r${r} = t.router({`)
    for (let p = 0; p < perRouter && r * perRouter + p < procedures; p++) {
      const n = r * perRouter + p
      const declare =
        stage >= STAGE.declared
          ? `.errors(fl.declare(${[0, 7, 13].map((k) => `'CODE_${(n + k) % CODES}'`).join(', ')}))`
          : ''
      lines.push(
        `  p${p}: t.procedure${declare}.input(z.object({ id: z.string() })).query(({ input }) => ({ id: input.id, n: ${n} })),`,
      )
    }
    lines.push('})')
  }
  lines.push('export const router = t.router({', ...Array.from({ length: routers }, (_, r) => `  r${r},`), '})')
  return `${lines.join('\n')}\n`
}

// the same calls in both: every SAMPLE-th procedure is called and its error narrowed
function clientSource(variant: Variant, procedures: number): string {
  const calls = Array.from({ length: Math.min(SAMPLE, procedures) }, (_, i) =>
    Math.floor((i * procedures) / Math.min(SAMPLE, procedures)),
  )
  const lines = [
    "import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client'",
    "import type { router } from './router'",
  ]
  if (variant === 'faultline') lines.push("import { isFaultlineError, safe } from '@faultline/client'")
  lines.push(
    "const client = createTRPCClient<typeof router>({ links: [httpLink({ url: '/trpc' })] })",
    'export async function calls() {',
  )
  for (const n of calls) {
    const path = `client.r${Math.floor(n / 10)}.p${n % 10}`
    if (variant === 'faultline') {
      lines.push(
        `  { const [, err] = await safe(${path}.query({ id: 'x' })); if (isFaultlineError(err, 'CODE_${n % CODES}')) err.details.f${n % CODES}.length }`,
      )
    } else {
      lines.push(
        `  try { await ${path}.query({ id: 'x' }) } catch (err) { if (err instanceof TRPCClientError && err.data?.code === 'NOT_FOUND') err.data.httpStatus.toFixed() }`,
      )
    }
  }
  lines.push('}')
  return `${lines.join('\n')}\n`
}

// as a user's project sees Faultline: its built declarations, not its source
const TSCONFIG = {
  extends: '../../../tsconfig.base.json',
  compilerOptions: { types: [], customConditions: [] },
  include: ['*.ts'],
}

/**
 * Generates one project and type-checks it; throws if tsc reports an error (such as "excessively deep").
 * `registered` registers the catalog (`Register`); it needs a Faultline variant.
 */
export function measureTypes(variant: Variant, procedures: number, { registered = false } = {}): TypeCost {
  if (registered && variant === 'plain') throw new TypeError('measureTypes: plain tRPC has no catalog to register')
  const dir = `${root}${variant}${registered ? '-registered' : ''}-${procedures}/`
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}router.ts`, routerSource(variant, procedures, registered))
  writeFileSync(`${dir}client.ts`, clientSource(variant, procedures))
  writeFileSync(`${dir}tsconfig.json`, JSON.stringify(TSCONFIG))
  const tsc = createRequire(import.meta.url).resolve('typescript/lib/tsc.js')
  let output: string
  try {
    output = execFileSync(process.execPath, [tsc, '-p', `${dir}tsconfig.json`, '--extendedDiagnostics'], {
      encoding: 'utf8',
    })
  } catch (error) {
    throw new Error(`tsc failed on ${variant}-${procedures}: ${(error as { stdout?: string }).stdout?.slice(0, 2000)}`)
  }
  const read = (label: string) => Number(output.match(new RegExp(`${label}:\\s+([\\d.]+)`))?.[1])
  return {
    procedures,
    variant,
    registered,
    instantiations: read('Instantiations'),
    types: read('Types'),
    memoryKb: read('Memory used'),
    checkSeconds: read('Check time'),
  }
}
