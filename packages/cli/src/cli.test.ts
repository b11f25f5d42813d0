import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'
import type { CatalogJson, CodeJson } from './catalog-json'
import { run } from './cli'
import { captureIO } from './cli-io.fixture'

const here = fileURLToPath(new URL('.', import.meta.url))

const io = (dir = here) => captureIO(dir)

async function exportFixture(): Promise<CatalogJson> {
  const x = io()
  expect(await run(['export', 'fixtures/app.ts'], x.cli)).toBe(0)
  return JSON.parse(x.out())
}

function write(dir: string, name: string, json: unknown) {
  writeFileSync(join(dir, name), JSON.stringify(json))
  return name
}

describe('faultline export', () => {
  test('writes every code with status, tRPC key, message, retryable, help and a JSON Schema of its data', async () => {
    const json = await exportFixture()
    expect(json.codes.USER_NOT_FOUND).toEqual({
      status: 404,
      trpc: 'NOT_FOUND',
      message: 'User not found',
      retryable: false,
      help: 'https://e.test/u',
      builtin: false,
      data: {
        type: 'object',
        properties: { userId: { type: 'string' } },
        required: ['userId'],
        additionalProperties: false,
      },
    })
    expect(json.codes.INTERNAL).toMatchObject({ status: 500, builtin: true, data: null })
  })

  test("lists each procedure's declared codes when the module exports a router", async () => {
    const json = await exportFixture()
    expect(json.procedures).toEqual({
      'user.byId': { type: 'query', declares: ['USER_NOT_FOUND'] },
      legacy: { type: 'query', declares: null },
    })
  })

  test.each([
    [
      ['export', 'fixtures/two-catalogs.ts'],
      /exports several values that are a catalog made by defineErrors \(a, b\): choose one with --catalog/,
    ],
    [
      ['export', 'fixtures/app.ts', '--catalog', 'notACatalog'],
      /the export notACatalog is not a catalog made by defineErrors/,
    ],
    [['export', 'fixtures/app.ts', '--catalog', 'nope'], /has no export named nope/],
    [['export', 'fixtures/app.ts', '--bogus'], /Unknown option '--bogus'/],
    [['export'], /faultline export takes 1 file; got 0/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('refuses %j with a clear message and exit 2', async (argv, message) => {
    const x = io()
    expect(await run(argv, x.cli)).toBe(2)
    expect(x.err()).toMatch(message)
    expect(x.err()).toContain('faultline export <module>')
  })

  test('a module that exports no catalog is named as such', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'))
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1')
    const x = io(dir)
    expect(await run(['export', 'empty.mjs'], x.cli)).toBe(2)
    expect(x.err()).toContain('empty.mjs exports no catalog made by defineErrors (it exports: x)')
  })
})

describe('faultline docs', () => {
  test('writes one section per code: meaning, data, who declares it, how to handle it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'))
    const file = write(dir, 'catalog.json', await exportFixture())
    const x = io(dir)
    expect(await run(['docs', file, '--title', 'Fixture errors'], x.cli)).toBe(0)
    const md = x.out()
    expect(md).toMatch(/^# Fixture errors\n/)
    expect(md).toContain('### USER_NOT_FOUND\n\nUser not found. HTTP 404, tRPC `NOT_FOUND`.')
    expect(md).toContain('```ts\n{\n  userId: string\n}\n```')
    expect(md).toContain('Declared by: `user.byId`.')
    expect(md).toContain('Handling: Retry later')
  })

  test.each([
    ['not JSON', '{"faultline": 1, ', /bad.json is not JSON/],
    ['not an export', '{"codes": {}}', /bad.json is not a Faultline catalog export/],
    ['a broken code', '{"faultline": 1, "codes": {"X": {"status": "404"}}}', /code X needs a numeric "status"/],
  ])('a malformed catalog (%s) is refused, naming the problem', async (_label, text, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'))
    writeFileSync(join(dir, 'bad.json'), text)
    const x = io(dir)
    expect(await run(['docs', 'bad.json'], x.cli)).toBe(2)
    expect(x.err()).toMatch(message)
  })
})

describe('faultline generate', () => {
  // a whole TypeScript program is checked: seconds on a busy machine
  test('writes a dependency-free module that compiles and whose guards work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'))
    const file = write(dir, 'catalog.json', await exportFixture())
    const x = io(dir)
    expect(await run(['generate', file, '--out', 'errors.ts'], x.cli)).toBe(0)
    const source = readFileSync(join(dir, 'errors.ts'), 'utf8')
    expect(source).not.toMatch(/^import /m)
    expect(source).toContain('USER_NOT_FOUND: {\n    userId: string\n  }')
    expect(source).toContain('limit: number\n    tags?: Array<"a" | "b">')
    expect(source).toContain('"user.byId": "USER_NOT_FOUND" | "BAD_REQUEST"')
    // the module type-checks on its own, strictly
    writeFileSync(
      join(dir, 'use.ts'),
      "import { isCode, type Envelope } from './errors'\ndeclare const v: unknown\nif (isCode(v, 'USER_NOT_FOUND')) { const id: string = v.data.userId; void id }\nexport const e: Envelope<'BLANK'> = { v: 1, code: 'BLANK', status: 409, message: 'm', data: undefined, retry: { retryable: false } }\n",
    )
    const program = ts.createProgram([join(dir, 'use.ts')], {
      strict: true,
      noEmit: true,
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
    })
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual(
      [],
    )
    // and its guards run
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText
    const mod = await import(`data:text/javascript,${encodeURIComponent(js)}`)
    const envelope = {
      v: 1,
      code: 'USER_NOT_FOUND',
      status: 404,
      message: 'x',
      data: { userId: 'u' },
      retry: { retryable: false },
    }
    expect(mod.isCode(envelope, 'USER_NOT_FOUND')).toBe(true)
    expect(mod.isEnvelope({ ...envelope, code: 'NOT_IN_CATALOG' })).toBe(false)
    expect(mod.envelopeOf({ shape: { data: { error: envelope } } })).toEqual(envelope)
  }, 30_000)
})

// typed access to the parts of an export the check tests change
const code = (c: CatalogJson, name: string) => c.codes[name] as CodeJson
const dataOf = (c: CatalogJson) => code(c, 'A').data as { properties: Record<string, unknown>; required: string[] }
const procedure = (c: CatalogJson, path: string) => c.procedures?.[path] as { declares: string[] | null }

describe('faultline check', () => {
  const base = (): CatalogJson => ({
    faultline: 1,
    codes: {
      A: {
        status: 404,
        trpc: 'NOT_FOUND',
        message: 'A',
        retryable: false,
        builtin: false,
        data: { type: 'object', properties: { id: { type: 'string' }, n: { type: 'number' } }, required: ['id', 'n'] },
      },
      B: { status: 409, trpc: 'CONFLICT', message: 'B', retryable: false, builtin: false, data: null },
    },
    procedures: { p: { type: 'query', declares: ['A'] }, q: { type: 'query', declares: null } },
  })

  async function check(mutate: (c: CatalogJson) => void) {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'))
    const next = base()
    mutate(next)
    const x = io(dir)
    const code = await run(['check', write(dir, 'old.json', base()), write(dir, 'new.json', next)], x.cli)
    return { code, out: x.out() }
  }

  test.each([
    ['a code removed', (c: CatalogJson) => void delete c.codes.B, 'B was removed (or renamed)'],
    [
      'a status changed',
      (c: CatalogJson) => {
        code(c, 'B').status = 400
      },
      'B changed status from 409 to 400',
    ],
    [
      'a field added as required',
      (c: CatalogJson) => {
        const d = dataOf(c)
        d.properties.extra = { type: 'string' }
        d.required.push('extra')
      },
      'A data.extra was added as required',
    ],
    [
      'a field that changed type',
      (c: CatalogJson) => {
        dataOf(c).properties.n = { type: 'string' }
      },
      'A data.n changed type',
    ],
    [
      'a field removed',
      (c: CatalogJson) => {
        const d = c.codes.A?.data as { properties: Record<string, unknown>; required: string[] }
        delete d.properties.n
        d.required = ['id']
      },
      'A data.n was removed',
    ],
    [
      'a field made optional',
      (c: CatalogJson) => {
        dataOf(c).required = ['id']
      },
      'A data.n became optional',
    ],
    [
      'data removed',
      (c: CatalogJson) => {
        code(c, 'A').data = null
      },
      'A no longer carries data',
    ],
    [
      'a procedure that now declares a code it did not',
      (c: CatalogJson) => void c.procedures?.p?.declares?.push('B'),
      'p now declares B',
    ],
  ])('breaking: %s (exit 1)', async (_label, mutate, message) => {
    const { code, out } = await check(mutate)
    expect(code).toBe(1)
    expect(out).toContain(`BREAKING: ${message}`)
    expect(out).toMatch(/1 breaking change\(s\)\n$/)
  })

  test.each([
    [
      'a new code',
      (c: CatalogJson) => {
        c.codes.C = {
          status: 400,
          trpc: 'BAD_REQUEST',
          message: 'C',
          retryable: false,
          builtin: false,
          data: null,
        }
      },
      'C was added',
    ],
    [
      'a new optional field',
      (c: CatalogJson) => {
        dataOf(c).properties.note = { type: 'string' }
      },
      'A data.note was added as optional',
    ],
    [
      'retryable changed',
      (c: CatalogJson) => {
        code(c, 'B').retryable = true
      },
      'B is now retryable',
    ],
    [
      'a procedure that declares less',
      (c: CatalogJson) => {
        procedure(c, 'p').declares = []
      },
      'p no longer declares A',
    ],
    [
      'a procedure that starts declaring',
      (c: CatalogJson) => {
        procedure(c, 'q').declares = ['A']
      },
      'q now declares its errors',
    ],
  ])('additive: %s passes with a note', async (_label, mutate, message) => {
    const { code, out } = await check(mutate)
    expect(code).toBe(0)
    expect(out).toContain(`note: ${message}`)
    expect(out).toMatch(/no breaking changes\n$/)
  })

  test('two identical exports: nothing to say', async () => {
    const { code, out } = await check(() => {})
    expect([code, out]).toEqual([0, 'no breaking changes\n'])
  })
})

test('the bin runs from TypeScript source with no build: export, then check against itself', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'))
  const bin = fileURLToPath(new URL('./bin.ts', import.meta.url))
  const node = (args: string[]) =>
    execFileSync(process.execPath, ['--conditions=@faultline/source', '--import', 'tsx', bin, ...args], {
      cwd: here,
      encoding: 'utf8',
    })
  node(['export', 'fixtures/app.ts', '--out', join(dir, 'a.json')])
  expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).codes.QUOTA.retryable).toBe(true)
  expect(node(['check', join(dir, 'a.json'), join(dir, 'a.json')])).toBe('no breaking changes\n')
})
