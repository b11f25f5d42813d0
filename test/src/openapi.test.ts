// The error contract merged into the OpenAPI document trpc-to-openapi generates: valid OpenAPI 3.1
// to a real validator, and describing what trpc-to-openapi's REST handler really sends.
import { createServer } from 'node:http'
import { addErrorsToOpenApi, catalogToJson } from '@faultline/cli'
import { inspectDeclarations } from '@faultline/server'
import { compileErrors, dereference, validate } from '@readme/openapi-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { createOpenApiHttpHandler, generateOpenApiDocument } from 'trpc-to-openapi'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { listen } from './fixtures/listen'
import { errors, fl, router } from './fixtures/openapi-app'

const contract = catalogToJson(errors, await inspectDeclarations(router))
const generated = generateOpenApiDocument(router, { title: 'Orders', version: '1.0.0', baseUrl: '/api' })
const document = addErrorsToOpenApi(generated, contract)

// loose views of the parts the assertions read
type Responses = Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>
const responsesOf = (route: string, method: 'get' | 'post') =>
  (document.paths as Record<string, Record<string, { responses: Responses }>>)[route]?.[method]?.responses as Responses
const schemas = document.components?.schemas as Record<string, Record<string, unknown>>
// the document as JSON, as a file would hold it (the validator's own types are not openapi3-ts's)
const asJson = () => JSON.parse(JSON.stringify(document))
const bodies = (...codes: string[]) => ({
  oneOf: codes.map((code) => ({ $ref: `#/components/schemas/Faultline.${code}.Body` })),
})

describe('the document trpc-to-openapi generates, with the error contract added', () => {
  test('is valid OpenAPI 3.1 to @readme/openapi-parser', async () => {
    const result = await validate(asJson())
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true)
  })

  test('the validator is not lenient: a response of ours without a description is refused', async () => {
    const broken = asJson()
    delete broken.components.responses['Faultline.ORDER_NOT_FOUND'].description
    const result = await validate(broken)
    expect(result.valid).toBe(false)
    expect(compileErrors(result)).toContain('description')
  })

  test('an operation answers with its declared codes and the implicit ones; codes sharing a status are a oneOf', () => {
    const byId = responsesOf('/orders/{id}', 'get')
    expect(Object.keys(byId)).toEqual(['200', '400', '404', '405', '408', '413', '499', '500', '503'])
    expect(byId['404']?.content?.['application/json']?.schema).toEqual(bodies('ORDER_NOT_FOUND', 'NOT_FOUND'))
    expect(byId['400']?.content?.['application/problem+json']?.schema).toEqual({
      oneOf: [
        { $ref: '#/components/schemas/Faultline.BAD_REQUEST.Problem' },
        { $ref: '#/components/schemas/Faultline.VALIDATION_FAILED.Problem' },
      ],
    })
    expect(byId['500']).toEqual({ $ref: '#/components/responses/Faultline.INTERNAL' })

    expect(responsesOf('/orders/{id}/pay', 'post')['402']).toEqual({
      $ref: '#/components/responses/Faultline.PAYMENT_DECLINED',
    })
    const report = responsesOf('/admin/report', 'get')
    expect([report['401'], report['403']]).toEqual([
      { $ref: '#/components/responses/Faultline.UNAUTHORIZED' },
      { $ref: '#/components/responses/Faultline.FORBIDDEN' },
    ])
    expect(report['402']).toBeUndefined()
    // a procedure that declares nothing may answer with any code of the catalog
    expect(Object.keys(responsesOf('/legacy', 'get'))).toEqual(
      expect.arrayContaining(['401', '402', '403', '409', '422', '429']),
    )
  })

  test("each code has its envelope with its data's JSON Schema, and an RFC 9457 problem+json variant", () => {
    expect(schemas['Faultline.PAYMENT_DECLINED.Data']).toEqual(contract.codes.PAYMENT_DECLINED?.data)
    expect(schemas['Faultline.PAYMENT_DECLINED.Envelope']).toMatchObject({
      properties: {
        code: { const: 'PAYMENT_DECLINED' },
        data: { $ref: '#/components/schemas/Faultline.PAYMENT_DECLINED.Data' },
      },
      required: ['v', 'code', 'status', 'message', 'retry', 'data'],
    })
    expect(schemas['Faultline.PAYMENT_DECLINED.Problem']).toMatchObject({
      properties: {
        type: { const: 'https://faultline.dev/errors/payment-declined' },
        code: { const: 'PAYMENT_DECLINED' },
      },
    })
    expect(document.components?.responses?.['Faultline.PAYMENT_DECLINED']).toEqual({
      description: 'PAYMENT_DECLINED: Payment declined',
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/Faultline.PAYMENT_DECLINED.Body' } },
        'application/problem+json': { schema: { $ref: '#/components/schemas/Faultline.PAYMENT_DECLINED.Problem' } },
      },
    })
    // trpc-to-openapi's own error shapes no longer describe any operation
    expect(JSON.stringify(document.paths)).not.toContain('#/components/schemas/error.')
  })
})

describe("trpc-to-openapi's REST handler answers as the document says", () => {
  let server: Awaited<ReturnType<typeof listen>>
  beforeAll(async () => {
    const handler = createOpenApiHttpHandler({
      router,
      // trpc-to-openapi's standalone adapter passes a fetch Request here, though typed as a node request
      createContext: fl.createContext(({ req }) => ({
        user:
          new Headers(req.headers as HeadersInit).get('authorization') === 'Bearer customer'
            ? { role: 'customer' as const }
            : undefined,
      })),
      ...fl.adapter(),
    })
    server = await listen(createServer((req, res) => void handler(req, res)))
  })
  afterAll(() => server.close())
  // the document with every $ref replaced by its target, for ajv
  const resolved = dereference(asJson())

  const call = async (method: string, path: string, init: { body?: unknown; auth?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (init.auth) headers.authorization = init.auth
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    })
    return { status: res.status, body: (await res.json()) as { data?: { error?: { code: string; status: number } } } }
  }

  test.each([
    ['GET', '/orders/ord_9', '/orders/{id}', {}, 404, 'ORDER_NOT_FOUND'],
    ['GET', '/orders/ab', '/orders/{id}', {}, 400, 'VALIDATION_FAILED'],
    ['POST', '/orders/ord_1/pay', '/orders/{id}/pay', { body: { card: '4000000000000000' } }, 402, 'PAYMENT_DECLINED'],
    ['GET', '/admin/report', '/admin/report', {}, 401, 'UNAUTHORIZED'],
    ['GET', '/admin/report', '/admin/report', { auth: 'Bearer customer' }, 403, 'FORBIDDEN'],
    ['GET', '/legacy', '/legacy', {}, 500, 'INTERNAL'],
  ] as const)(
    '%s %s: status and body match the documented response of %s',
    async (method, path, route, init, status, code) => {
      const res = await call(method, path, init)
      expect([res.status, res.body.data?.error?.code]).toEqual([status, code])
      expect(res.body.data?.error?.status).toBe(status)
      expect(JSON.stringify(res.body)).not.toContain('hunter2')

      const responses = (await resolved).paths?.[route]?.[method.toLowerCase() as 'get' | 'post']
        ?.responses as Responses
      const ajv = new Ajv2020({ strict: false, validateFormats: false })
      const documented = ajv.compile(responses[String(status)]?.content?.['application/json']?.schema as object)
      expect(documented(res.body), ajv.errorsText(documented.errors)).toBe(true)
      // and the schemas tell codes apart: this body is not the document's 500
      const internal = ajv.compile(responses['500']?.content?.['application/json']?.schema as object)
      expect(internal(res.body)).toBe(code === 'INTERNAL')
    },
  )
})
