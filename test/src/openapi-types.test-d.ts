import { addErrorsToOpenApi, type CatalogJson, catalogToJson, type JsonSchema } from '@faultline/cli'
import { inspectDeclarations } from '@faultline/server'
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi'
import { describe, expectTypeOf, test } from 'vitest'
import { errors, router } from './fixtures/openapi-app'

describe('addErrorsToOpenApi', () => {
  test("takes trpc-to-openapi's document without a cast and returns it with the contract's components", async () => {
    const contract = catalogToJson(errors, await inspectDeclarations(router))
    expectTypeOf(contract).toEqualTypeOf<CatalogJson>()
    const merged = addErrorsToOpenApi(
      generateOpenApiDocument(router, { title: 't', version: '1', baseUrl: '/' }),
      contract,
    )
    expectTypeOf(merged).toExtend<OpenAPIObject>()
    expectTypeOf(merged.components.responses).toExtend<Record<string, JsonSchema>>()
    expectTypeOf(merged.components.schemas).toExtend<Record<string, JsonSchema>>()
  })

  test('refuses what is not an OpenAPI document, or a contract that is not an export', () => {
    const contract = {} as CatalogJson
    // @ts-expect-error no "openapi" version: a Swagger 2.0 document
    addErrorsToOpenApi({ swagger: '2.0' }, contract)
    // @ts-expect-error the contract is a catalog export, not the catalog itself
    addErrorsToOpenApi({ openapi: '3.1.0' }, errors)
  })
})
