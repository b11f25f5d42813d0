import { describe, expect, test } from 'vitest'
import { faultlineFetch, TransportFailure } from './transport'

const respond = (res: Response) => async () => res

describe('faultlineFetch', () => {
  test('successful JSON passes through untouched', async () => {
    const res = new Response('{"result":{}}', { status: 200, headers: { 'content-type': 'application/json' } })
    expect(await faultlineFetch(respond(res))('http://x')).toBe(res)
  })

  test('event streams pass through untouched', async () => {
    const res = new Response('data: 1\n\n', { status: 200, headers: { 'content-type': 'text/event-stream' } })
    expect(await faultlineFetch(respond(res))('http://x')).toBe(res)
  })

  test('an error answered with valid JSON is handed on intact', async () => {
    const res = new Response('{"error":{"code":-32004}}', {
      status: 404,
      headers: { 'content-type': 'application/json' },
    })
    const out = await faultlineFetch(respond(res))('http://x')
    expect(out.status).toBe(404)
    expect(await out.json()).toEqual({ error: { code: -32004 } })
  })

  test('HTML, empty and broken JSON bodies throw a TransportFailure with status and body', async () => {
    await expect(
      faultlineFetch(respond(new Response('<h1>down</h1>', { status: 503, headers: { 'content-type': 'text/html' } })))(
        'http://x',
      ),
    ).rejects.toMatchObject({
      name: 'TransportFailure',
      status: 503,
      body: '<h1>down</h1>',
      contentType: 'text/html',
    })
    await expect(faultlineFetch(respond(new Response(null, { status: 502 })))('http://x')).rejects.toBeInstanceOf(
      TransportFailure,
    )
    await expect(
      faultlineFetch(respond(new Response('{"err', { status: 500, headers: { 'content-type': 'application/json' } })))(
        'http://x',
      ),
    ).rejects.toMatchObject({ status: 500, body: '{"err' })
  })

  test('a large body is cut after a bounded read', async () => {
    const big = new Response('x'.repeat(5_000_000), { status: 502, headers: { 'content-type': 'text/html' } })
    const failure: unknown = await faultlineFetch(respond(big))('http://x').catch((e: unknown) => e)
    if (!(failure instanceof TransportFailure)) throw new Error('expected a TransportFailure')
    expect(failure.body.length).toBeLessThan(2100)
    expect(failure.body).toMatch(/more\)$/)
  })
})

describe('faultlineFetch regressions', () => {
  test('a tRPC error body labelled text/plain (tRPC early failures) is handed on, not turned into a transport error', async () => {
    const res = new Response('{"error":{"code":-32600,"message":"Batching is not enabled"}}', {
      status: 400,
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    })
    const out = await faultlineFetch(respond(res))('http://x')
    expect(out.status).toBe(400)
    expect(await out.json()).toMatchObject({ error: { code: -32600 } })
  })

  test('a 2xx labelled JSON whose body is cut off or empty fails with its status and body, not as "no response"', async () => {
    for (const [status, body] of [
      [200, '{"result":{"da'],
      [204, null],
    ] as const) {
      const res = new Response(body, { status, headers: { 'content-type': 'application/json' } })
      const out = await faultlineFetch(respond(res))('http://x')
      expect(out).toBe(res)
      await expect(out.json()).rejects.toMatchObject({ name: 'TransportFailure', status, body: body ?? '' })
    }
  })

  test('a large JSON error body is read whole', async () => {
    const big = JSON.stringify({ error: { code: -32603, message: 'x'.repeat(3_000_000) } })
    const res = new Response(big, { status: 500, headers: { 'content-type': 'application/json' } })
    const out = await faultlineFetch(respond(res))('http://x')
    expect((await out.text()).length).toBe(big.length)
  })
})
