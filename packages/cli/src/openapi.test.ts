import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import type { CatalogJson } from './catalog-json'
import { run } from './cli'
import { captureIO } from './cli-io.fixture'
import { addErrorsToOpenApi } from './openapi'

const here = fileURLToPath(new URL('.', import.meta.url))

const io = captureIO

const plain = (status: number, message: string) => ({
  status,
  trpc: 'X',
  message,
  retryable: false,
  builtin: true,
  data: null,
})

const contract = (): CatalogJson => ({
  faultline: 1,
  codes: {
    BAD_REQUEST: plain(400, 'Bad request'),
    VALIDATION_FAILED: plain(400, 'Invalid input'),
    INTERNAL: plain(500, 'Internal server error'),
    TREE_BROKEN: {
      ...plain(422, 'Tree broken'),
      builtin: false,
      data: {
        $ref: '#/$defs/Node',
        $defs: {
          Node: {
            type: 'object',
            properties: { children: { type: 'array', items: { $ref: '#/$defs/Node' } }, root: { $ref: '#' } },
          },
        },
      },
    },
  },
  procedures: {
    'tree.get': { type: 'query', declares: ['TREE_BROKEN'] },
    ping: { type: 'query', declares: [] },
  },
})

const document = () => ({
  openapi: '3.1.0',
  info: { title: 'Trees', version: '1' },
  paths: {
    '/trees/{id}': {
      get: {
        operationId: 'tree-get',
        responses: {
          '200': { description: 'ok' },
          '4XX': { description: 'some error' },
          '500': { description: 'old internal' },
        },
      },
    },
    '/ping': { post: { operationId: 'ping', responses: { '204': { description: 'pong' } } } },
    '/health': { get: { operationId: 'getHealth', responses: { '200': { description: 'ok' } } } },
  },
})

describe('addErrorsToOpenApi', () => {
  test("matches operations by trpc-to-openapi's operationId (the path, dots as dashes, or the path itself)", () => {
    const merged = addErrorsToOpenApi(document(), contract())
    expect(merged.paths['/trees/{id}'].get.responses).toEqual({
      '200': { description: 'ok' },
      '400': {
        description: 'BAD_REQUEST: Bad request; VALIDATION_FAILED: Invalid input',
        content: {
          'application/json': {
            schema: {
              oneOf: [
                { $ref: '#/components/schemas/Faultline.BAD_REQUEST.Body' },
                { $ref: '#/components/schemas/Faultline.VALIDATION_FAILED.Body' },
              ],
            },
          },
          'application/problem+json': {
            schema: {
              oneOf: [
                { $ref: '#/components/schemas/Faultline.BAD_REQUEST.Problem' },
                { $ref: '#/components/schemas/Faultline.VALIDATION_FAILED.Problem' },
              ],
            },
          },
        },
      },
      '422': { $ref: '#/components/responses/Faultline.TREE_BROKEN' },
      '500': { $ref: '#/components/responses/Faultline.INTERNAL' },
    })
    // a procedure that declares no code of its own still answers with the implicit ones
    expect(Object.keys(merged.paths['/ping'].post.responses)).toEqual(['204', '400', '500'])
    // an operation of no procedure is left as it was
    expect(merged.paths['/health']).toEqual(document().paths['/health'])
  })

  test("a data schema's own references point at components, not at the document's root", () => {
    const schemas = addErrorsToOpenApi(document(), contract()).components.schemas as Record<string, unknown>
    expect(schemas['Faultline.TREE_BROKEN.Data']).toEqual({
      $ref: '#/components/schemas/Faultline.TREE_BROKEN.Data.Node',
    })
    expect(schemas['Faultline.TREE_BROKEN.Data.Node']).toEqual({
      type: 'object',
      properties: {
        children: { type: 'array', items: { $ref: '#/components/schemas/Faultline.TREE_BROKEN.Data.Node' } },
        root: { $ref: '#/components/schemas/Faultline.TREE_BROKEN.Data' },
      },
    })
    expect(JSON.stringify(schemas)).not.toContain('$defs')
  })

  test('returns a new document, keeps its own components, and merging twice changes nothing more', () => {
    const input = { ...document(), components: { schemas: { Tree: { type: 'object' } } } }
    const before = structuredClone(input)
    const once = addErrorsToOpenApi(input, contract())
    expect(input).toEqual(before)
    expect(once.components.schemas.Tree).toEqual({ type: 'object' })
    expect(addErrorsToOpenApi(once, contract())).toEqual(once)
  })

  test.each([
    [[], /the document is not an OpenAPI document \(expected a JSON object\)/],
    [{ swagger: '2.0' }, /the document is Swagger 2.0, not OpenAPI 3.1/],
    [{ info: {} }, /the document is not an OpenAPI document \(it has no "openapi" version field\)/],
    [{ openapi: '3.0.3' }, /the document is OpenAPI 3.0.3; the error schemas are JSON Schema 2020-12/],
    [{ openapi: 3.1 }, /the document has "openapi": 3.1; expected a 3.1 version such as "3.1.0"/],
    [{ openapi: '3.1.0', paths: [] }, /the document: "paths" must be an object/],
  ])('refuses a document that is not OpenAPI 3.1 (%j), naming what is wrong', (doc, message) => {
    expect(() => addErrorsToOpenApi(doc as never, contract())).toThrow(message)
  })

  test.each([
    [{ codes: {} }, /the contract is not a Faultline catalog export/],
    [
      { ...contract(), procedures: undefined },
      /the contract lists no procedures: export it from a module that also exports/,
    ],
    [
      { ...contract(), procedures: { p: { type: 'query', declares: ['NOPE'] } } },
      /the contract: procedure p declares NOPE, which is not one of its codes/,
    ],
  ])('refuses a contract that is not a Faultline export with procedures (%#)', (bad, message) => {
    expect(() => addErrorsToOpenApi(document(), bad as never)).toThrow(message)
  })
})

describe('faultline export --openapi', () => {
  test('writes the document with the contract of a module added, and notes the operations it left alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-openapi-'))
    writeFileSync(
      join(dir, 'openapi.json'),
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'Users', version: '1' },
        paths: {
          '/users/{id}': { get: { operationId: 'user-byId', responses: { '200': { description: 'ok' } } } },
          '/status': { get: { operationId: 'status', responses: { '200': { description: 'ok' } } } },
        },
      }),
    )
    const x = io(dir)
    const code = await run(
      ['export', join(here, 'fixtures/app.ts'), '--openapi', 'openapi.json', '--out', 'out.json'],
      x.cli,
    )
    expect(code).toBe(0)
    const merged = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'))
    expect(merged.paths['/users/{id}'].get.responses['404'].content['application/json'].schema).toEqual({
      oneOf: [
        { $ref: '#/components/schemas/Faultline.USER_NOT_FOUND.Body' },
        { $ref: '#/components/schemas/Faultline.NOT_FOUND.Body' },
      ],
    })
    expect(merged.components.schemas['Faultline.USER_NOT_FOUND.Data'].properties).toEqual({
      userId: { type: 'string' },
    })
    expect(x.err()).toBe(
      `note: GET /status is no procedure of ${join(here, 'fixtures/app.ts')} (by operationId); its responses are unchanged\n`,
    )
  })

  test.each([
    ['openapi.json', '{"openapi": "3.0.3", "info": {}}', 'contract.json', contract(), /openapi.json is OpenAPI 3.0.3/],
    ['openapi.json', '{"openapi": ', 'contract.json', contract(), /openapi.json is not JSON/],
    ['missing.json', null, 'contract.json', contract(), /missing.json cannot be read/],
    [
      'openapi.json',
      JSON.stringify(document()),
      'contract.json',
      { name: 'some other tool' },
      /contract.json is not a Faultline catalog export \(expected "faultline": 1 at the top\)/,
    ],
  ])(
    'bad input (%s, %#) exits 2 naming the file and what is wrong',
    async (docFile, docText, contractFile, contractJson, message) => {
      const dir = mkdtempSync(join(tmpdir(), 'faultline-openapi-'))
      if (docText !== null) writeFileSync(join(dir, docFile), docText)
      writeFileSync(join(dir, contractFile), JSON.stringify(contractJson))
      const x = io(dir)
      expect(await run(['export', contractFile, '--openapi', docFile], x.cli)).toBe(2)
      expect(x.err()).toMatch(message)
      expect(x.out()).toBe('')
    },
  )
})
