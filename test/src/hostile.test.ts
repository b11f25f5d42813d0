// Hostile requests against the real node standalone server: request ids built to split headers or
// forge log lines, bodies over maxBodySize, malformed batches and bodies. Each answer is a
// well-formed envelope whose status is the response's, nothing hostile is echoed, no prototype is
// polluted, nothing escapes, and the server keeps serving.
import { createServer } from 'node:http'
import { connect } from 'node:net'
import { type AnyEnvelope, parseEnvelope } from '@faultline/contract'
import { createHTTPHandler } from '@trpc/server/adapters/standalone'
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc'
import superjson from 'superjson'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import { buildApp, type Started, startApp } from './fixtures/app'
import { listen } from './fixtures/listen'

const LIMIT = 64 * 1024
const FRESH_ID = /^req_[0-9a-f]{32}$/
// every hostile value carries these, so an echo anywhere is easy to find
const MARKERS = ['EVIL', 'pwned']

let app: Started
let port: number
/** A server under test: where it listens and what it logged and reported. */
interface Server {
  port: number
  log: Started['log']
  reports: Started['reports']
  close: () => Promise<void>
}
beforeAll(async () => {
  app = await startApp({ maxBodySize: LIMIT, expose: 'safe' })
  port = Number(new URL(app.url).port)
  process.on('unhandledRejection', onEscape)
  process.on('uncaughtException', onEscape)
})
afterAll(async () => {
  process.off('unhandledRejection', onEscape)
  process.off('uncaughtException', onEscape)
  await app.close()
})
beforeEach(() => {
  app.log.clear()
  app.reports.splice(0)
})

const escaped: unknown[] = []
const onEscape = (cause: unknown) => void escaped.push(cause)
const PRISTINE = Reflect.ownKeys(Object.prototype).map(String).sort()

// after every test: nothing escaped, nothing polluted, and the server still answers
afterEach(async () => {
  await new Promise((resolve) => setImmediate(resolve))
  expect(escaped).toEqual([])
  expect(Reflect.ownKeys(Object.prototype).map(String).sort()).toEqual(PRISTINE)
  expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  const res = await fetch(`${app.url}/ok?input=${encodeURIComponent('{"n":3}')}`)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ result: { data: { n: 3 } } })
})

interface Answer {
  status: number
  header: (name: string) => string | undefined
  /** Everything the client received, head and body, as sent. */
  raw: string
  text: string
}

/** Sends bytes as they are (fetch refuses CR, LF and control characters in headers) and reads the whole answer. */
function sendRaw(request: string | Buffer, toPort = port): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(toPort, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const all = Buffer.concat(chunks)
      const split = all.indexOf('\r\n\r\n')
      const head = all.subarray(0, split).toString('latin1')
      let body: Buffer = all.subarray(split + 4)
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers = new Map<string, string>()
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
      }
      if (headers.get('transfer-encoding') === 'chunked') body = unchunk(body)
      resolve({
        status: Number(statusLine.split(' ')[1]),
        header: (name) => headers.get(name),
        raw: all.toString('latin1'),
        text: body.toString('utf8'),
      })
    })
    socket.end(request)
  })
}

function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  while (at < body.length) {
    const eol = body.indexOf('\r\n', at)
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1'), 16)
    if (!size) break
    parts.push(body.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(parts)
}

async function send(path: string, init?: RequestInit): Promise<Answer> {
  const res = await fetch(`${app.url}${path}`, init)
  const text = await res.text()
  const head = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\r\n')
  return {
    status: res.status,
    header: (name) => res.headers.get(name) ?? undefined,
    raw: `${head}\r\n\r\n${text}`,
    text,
  }
}

/**
 * Every item of a tRPC answer: `'result'`, or its envelope, checked against the wire shape. The
 * HTTP status is the items' status (207 when they differ) and every envelope carries the
 * response's request id.
 */
function itemsOf(answer: Answer): ('result' | AnyEnvelope)[] {
  const json = JSON.parse(answer.text) as unknown
  const raw = (Array.isArray(json) ? json : [json]) as { result?: unknown; error?: any }[]
  const items = raw.map((item): 'result' | AnyEnvelope => {
    if (item.result !== undefined && item.error === undefined) return 'result'
    const parsed = parseEnvelope(item.error?.data?.error)
    if (!parsed.ok) throw new Error(`${parsed.reason}: ${answer.text.slice(0, 300)}`)
    const { envelope } = parsed
    // the shape around it agrees with it, so stock tRPC clients read the same
    expect(item.error.message).toBe(envelope.message)
    expect(item.error.data.httpStatus).toBe(envelope.status)
    expect(Object.values(TRPC_ERROR_CODES_BY_KEY)).toContain(item.error.code)
    expect(envelope).not.toHaveProperty('debug')
    return envelope
  })
  const statuses = new Set(items.map((item) => (item === 'result' ? 200 : item.status)))
  expect(answer.status).toBe(statuses.size === 1 ? [...statuses][0] : 207)
  const id = answer.header('x-request-id')
  for (const item of items) if (item !== 'result') expect(item.requestId).toBe(id)
  return items
}

const codesOf = (items: ('result' | AnyEnvelope)[]) => items.map((item) => (item === 'result' ? 'result' : item.code))

function expectNoMarkers(where: string, text: string) {
  for (const marker of MARKERS) expect(text, `${where} echoes ${marker}`).not.toContain(marker)
}

// ---------------------------------------------------------------------------------------------

describe('a hostile x-request-id', () => {
  // node's default parser refuses control characters in a header; an app may opt into the lenient
  // one (insecureHTTPParser), which lets them through to Faultline's own check
  let lenient: Server
  beforeAll(async () => {
    const built = buildApp({ expose: 'safe' })
    const handler = createHTTPHandler({
      router: built.router,
      createContext: built.createContext,
      ...built.fl.adapter(),
    })
    const listening = await listen(createServer({ insecureHTTPParser: true }, handler))
    lenient = { ...listening, port: Number(new URL(listening.url).port), log: built.log, reports: built.reports }
  })
  afterAll(() => lenient.close())
  beforeEach(() => {
    lenient.log.clear()
    lenient.reports.splice(0)
  })

  type Parser = 'strict' | 'lenient'
  type Expect = 'reaches' | 'may be refused' | 'skip'
  // [label, value, under the strict parser, under the lenient one]: 'reaches' means the request gets
  // to the app, whose check must then replace the id
  const HOSTILE: [string, string, Expect, Expect][] = [
    ['a bare CR', 'EVIL pwned\rSet-Cookie: pwned=1', 'may be refused', 'may be refused'],
    ['a bare LF', 'EVIL pwned\nSet-Cookie: pwned=1', 'may be refused', 'reaches'],
    ['a folded continuation line', 'EVIL pwned\r\n Set-Cookie: pwned=1', 'may be refused', 'reaches'],
    // the lenient parser lets a NUL through, and tRPC's own conversion to fetch Headers then throws
    ['a NUL', 'EVIL\u0000pwned', 'may be refused', 'skip'],
    ['SOH', 'EVIL\u0001pwned', 'may be refused', 'reaches'],
    ['a vertical tab', 'EVIL\u000bpwned', 'may be refused', 'reaches'],
    ['an ANSI escape', 'EVIL\u001b[31mpwned', 'may be refused', 'reaches'],
    ['DEL', 'EVIL\u007fpwned', 'may be refused', 'reaches'],
    ['a tab', 'EVIL\tpwned', 'reaches', 'reaches'],
    ['10 kB', `EVIL${'a'.repeat(10_000)}pwned`, 'reaches', 'reaches'],
    ['129 safe characters', `EVIL${'a'.repeat(120)}pwned`, 'reaches', 'reaches'],
    ['UTF-8', 'EVIL-idé-日本-pwned', 'reaches', 'reaches'],
    ['Latin-1', 'EVIL-idé-pwned', 'reaches', 'reaches'],
    ['JSON that would forge a log field', 'EVIL","level":"fatal","pwned":"1', 'reaches', 'reaches'],
    ['a percent-encoded CRLF', 'EVIL%0d%0aSet-Cookie:%20pwned=1', 'reaches', 'reaches'],
    ['markup', 'EVIL<script>pwned</script>', 'reaches', 'reaches'],
    ['spaces', 'EVIL pwned', 'reaches', 'reaches'],
  ]
  // a failing procedure, a failure before any context exists, a success and a batch
  const TARGETS: [string, string, number][] = [
    ['a procedure error', `/user.byId?input=${encodeURIComponent('{"id":"u_9"}')}`, 404],
    ['an unknown path', '/no.such.procedure', 404],
    ['a success', '/ok', 200],
    ['a batch', `/user.byId,no.such?batch=1&input=${encodeURIComponent('{"0":{"id":"u_9"}}')}`, 404],
  ]
  const CASES = (['strict', 'lenient'] as const).flatMap((parser) =>
    HOSTILE.filter((h) => h[parser === 'strict' ? 2 : 3] !== 'skip').flatMap(([label, hostile, strict, loose]) =>
      TARGETS.map(([target, path, status]) => ({
        parser,
        label,
        hostile,
        expect: parser === 'strict' ? strict : loose,
        target,
        path,
        status,
      })),
    ),
  )

  test.each(CASES)(
    '$parser parser, $label, on $target: replaced by a fresh id everywhere, echoed nowhere',
    async ({
      parser,
      hostile,
      expect: expected,
      path,
      status,
    }: {
      parser: Parser
      hostile: string
      expect: Expect
      path: string
      status: number
    }) => {
      const server = parser === 'strict' ? { port, log: app.log, reports: app.reports } : lenient
      const bytes = Buffer.from(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nx-request-id: ${hostile}\r\nConnection: close\r\n\r\n`,
        // what a client puts on the wire: UTF-8, or the bytes as given
        [...hostile].some((c) => c.charCodeAt(0) > 0xff) ? 'utf8' : 'latin1',
      )
      const answer = await sendRaw(bytes, server.port)
      expectNoMarkers('the response', answer.raw)
      expect(answer.header('set-cookie')).toBeUndefined()
      if (expected === 'may be refused' && answer.status === 400 && answer.text === '') {
        // node's HTTP parser refused the request before any application code ran
        expect(server.log.lines).toEqual([])
        return
      }
      expect(answer.status).toBe(status)
      const id = answer.header('x-request-id')
      expect(id).toMatch(FRESH_ID)
      const failures = itemsOf(answer).filter((item) => item !== 'result')
      expect(failures).toHaveLength(status === 200 ? 0 : path.includes('batch') ? 2 : 1)
      expect(server.log.lines).toHaveLength(failures.length)
      for (const line of server.log.lines) expect(line.obj.requestId).toBe(id)
      expectNoMarkers('the log', JSON.stringify(server.log.lines))
      expect(server.reports.map((r) => r.requestId)).toEqual(failures.map(() => id))
    },
  )

  test('a CRLF ends the header: what follows is a request header of its own, and never reaches the response', async () => {
    const answer = await sendRaw(
      'GET /no.such HTTP/1.1\r\nHost: localhost\r\nx-request-id: trace-1\r\nSet-Cookie: pwned=1\r\nConnection: close\r\n\r\n',
    )
    expect(answer.header('x-request-id')).toBe('trace-1')
    expect(answer.header('set-cookie')).toBeUndefined()
    expect(answer.raw).not.toContain('pwned')
    expect(codesOf(itemsOf(answer))).toEqual(['NOT_FOUND'])
  })

  test('two safe ids in two headers are one unsafe value ("a, b"): replaced, neither echoed', async () => {
    const answer = await sendRaw(
      'GET /no.such HTTP/1.1\r\nHost: localhost\r\nx-request-id: EVIL1\r\nx-request-id: EVIL2\r\nConnection: close\r\n\r\n',
    )
    expect(answer.header('x-request-id')).toMatch(FRESH_ID)
    expectNoMarkers('the response', answer.raw)
    expectNoMarkers('the log', JSON.stringify(app.log.lines))
    expect(codesOf(itemsOf(answer))).toEqual(['NOT_FOUND'])
  })

  test('a header block over node’s limit is refused by node itself, before any application code runs', async () => {
    const answer = await sendRaw(
      `GET /ok HTTP/1.1\r\nHost: localhost\r\nx-request-id: EVIL${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    )
    expect(answer.status).toBe(431)
    expectNoMarkers('the response', answer.raw)
    expect(app.log.lines).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------

describe('a body over maxBodySize', () => {
  /** A user.create body of exactly `size` bytes, with a marker that must never be echoed. */
  function bodyOfSize(size: number, batch = false): string {
    const wrap = (name: string) =>
      JSON.stringify(batch ? { 0: { email: 'a@b.test', name } } : { email: 'a@b.test', name })
    const bare = wrap('EVIL-pwned')
    const body = wrap(`EVIL-pwned${'x'.repeat(size - bare.length)}`)
    expect(body).toHaveLength(size)
    return body
  }
  const json = { 'content-type': 'application/json' }

  function expectTooLarge(answer: Answer, items: number) {
    expect(answer.status).toBe(413)
    const envelopes = itemsOf(answer)
    expect(envelopes).toHaveLength(items)
    for (const envelope of envelopes) {
      expect(envelope).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        status: 413,
        message: 'Payload too large',
        retry: { retryable: false },
      })
    }
    // tRPC's own key and JSON-RPC code, for stock clients
    const first = (JSON.parse(answer.text) as any[])[0] ?? JSON.parse(answer.text)
    expect(first.error).toMatchObject({
      code: TRPC_ERROR_CODES_BY_KEY.PAYLOAD_TOO_LARGE,
      data: { code: 'PAYLOAD_TOO_LARGE' },
    })
    expect(answer.header('x-request-id')).toMatch(FRESH_ID)
    expectNoMarkers('the response', answer.raw)
    // one expected failure: info, no stack, and nothing of the body
    expect(app.log.lines).toHaveLength(1)
    expect(app.log.lines[0]).toMatchObject({ level: 'info', obj: { code: 'PAYLOAD_TOO_LARGE', handled: true } })
    expectNoMarkers('the log', JSON.stringify(app.log.lines))
  }

  test('exactly at the limit is read and answered as usual', async () => {
    const answer = await send('/user.create', { method: 'POST', headers: json, body: bodyOfSize(LIMIT) })
    expect(answer.status).toBe(200)
    expect(app.log.lines).toEqual([])
  })

  test('one byte over answers PAYLOAD_TOO_LARGE with 413', async () => {
    expectTooLarge(await send('/user.create', { method: 'POST', headers: json, body: bodyOfSize(LIMIT + 1) }), 1)
  })

  test('8 MB answers 413 without reading it all, and the server goes on', async () => {
    const started = performance.now()
    expectTooLarge(await send('/user.create', { method: 'POST', headers: json, body: bodyOfSize(8 * 1024 * 1024) }), 1)
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  test('a chunked upload with no Content-Length answers 413 once it passes the limit', async () => {
    const body = bodyOfSize(4 * LIMIT)
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 4096)
          controller.enqueue(new TextEncoder().encode(body.slice(at, at + 4096)))
        controller.close()
      },
    })
    const init = { method: 'POST', headers: json, body: stream, duplex: 'half' } as RequestInit
    expectTooLarge(await send('/user.create', init), 1)
  })

  test('a batch answers 413 for every call in it', async () => {
    const body = bodyOfSize(LIMIT + 1, true)
    expectTooLarge(
      await send('/user.create,user.create,user.create?batch=1', { method: 'POST', headers: json, body }),
      3,
    )
  })

  test('multipart/form-data answers 413 too', async () => {
    const headers = { 'content-type': 'multipart/form-data; boundary=b' }
    const body = `--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nEVIL-pwned${'x'.repeat(LIMIT)}\r\n--b--\r\n`
    expectTooLarge(await send('/user.create', { method: 'POST', headers, body }), 1)
  })

  test('a client that drops the connection part way through its upload crashes nothing', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /user.create HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"email":"a@b.test","name":"',
        )
        socket.write('x'.repeat(10_000), () => setTimeout(() => socket.destroy(), 20))
      })
      socket.on('close', () => resolve())
      socket.on('error', reject)
    })
    // whatever the server made of it, it answered nobody with a crash
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (const line of app.log.lines) expect(line.obj.handled).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------

describe('malformed batches and bodies answer well-formed envelopes with a matching status', () => {
  const q = (value: unknown) => encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))
  const json = { 'content-type': 'application/json' }
  const many = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i))

  // [label, path, request, expected HTTP status, expected item codes]
  const CASES: [string, string, RequestInit, number, string[]][] = [
    [
      'a batch input that is not JSON',
      `/ok,ok?batch=1&input=${q('{not-json')}`,
      {},
      400,
      ['BAD_REQUEST', 'BAD_REQUEST'],
    ],
    [
      'a batch input that is an array',
      `/ok,ok?batch=1&input=${q([{ n: 1 }, { n: 2 }])}`,
      {},
      400,
      ['BAD_REQUEST', 'BAD_REQUEST'],
    ],
    ['a batch input that is a number', `/ok,ok?batch=1&input=${q(42)}`, {}, 400, ['BAD_REQUEST', 'BAD_REQUEST']],
    ['a batch input that is null', `/ok,ok?batch=1&input=${q(null)}`, {}, 400, ['BAD_REQUEST', 'BAD_REQUEST']],
    ['a batch input that is a string', `/ok,ok?batch=1&input=${q('"x"')}`, {}, 400, ['BAD_REQUEST', 'BAD_REQUEST']],
    [
      'a batch with an index missing',
      `/ok,user.byId?batch=1&input=${q({ 0: { n: 2 } })}`,
      {},
      207,
      ['result', 'VALIDATION_FAILED'],
    ],
    [
      'a batch with extra, negative, padded and prototype indexes',
      `/ok?batch=1&input=${q('{"0":{"n":2},"1":{"n":3},"-1":0,"00":0,"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}')}`,
      {},
      200,
      ['result'],
    ],
    ['?batch=1 with no path at all', '/?batch=1', {}, 404, ['NOT_FOUND']],
    ['?batch=1 with empty paths', '/,,?batch=1', {}, 404, ['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']],
    [
      'unknown paths, prototype keys among them',
      '/ok,no.such,__proto__,constructor.prototype,user.toString?batch=1',
      {},
      207,
      ['result', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND'],
    ],
    ['1,000 paths', `/${many(1000, () => 'ok').join(',')}?batch=1`, {}, 200, many(1000, () => 'result')],
    [
      '1,000 unknown paths',
      `/${many(1000, (i) => `no${i}`).join(',')}?batch=1`,
      {},
      404,
      many(1000, () => 'NOT_FOUND'),
    ],
    [
      '1,000 paths, every other one unknown',
      `/${many(1000, (i) => (i % 2 ? 'nope' : 'ok')).join(',')}?batch=1`,
      {},
      207,
      many(1000, (i) => (i % 2 ? 'NOT_FOUND' : 'result')),
    ],
    ['a batch flag that is not 1', '/ok,ok?batch=yes', {}, 404, ['NOT_FOUND']],
    [
      'a POST body that is not JSON',
      '/user.create',
      { method: 'POST', headers: json, body: '{"email": "a@b.test", "name": ' },
      400,
      ['BAD_REQUEST'],
    ],
    [
      'a batch POST body that is not JSON',
      '/user.create,user.create?batch=1',
      { method: 'POST', headers: json, body: '[' },
      400,
      ['BAD_REQUEST', 'BAD_REQUEST'],
    ],
    [
      'a batch POST body that is an array',
      '/user.create,user.create?batch=1',
      { method: 'POST', headers: json, body: '[{},{}]' },
      400,
      ['BAD_REQUEST', 'BAD_REQUEST'],
    ],
    [
      'a batch POST body of null',
      '/user.create?batch=1',
      { method: 'POST', headers: json, body: 'null' },
      400,
      ['BAD_REQUEST'],
    ],
    [
      'a POST body nested 30,000 deep',
      '/user.create',
      { method: 'POST', headers: json, body: `{"a":${'['.repeat(30_000)}${']'.repeat(30_000)}}` },
      400,
      ['VALIDATION_FAILED'],
    ],
    [
      'input with prototype keys',
      '/user.create',
      {
        method: 'POST',
        headers: json,
        body: '{"email":"a@b.test","name":"Ada","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
      },
      200,
      ['result'],
    ],
    [
      'a text/plain body',
      '/user.create',
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' },
      400,
      ['BAD_REQUEST'],
    ],
    ['no content type', '/user.create', { method: 'POST', body: new Uint8Array([123, 125]) }, 400, ['BAD_REQUEST']],
    [
      'an XML body',
      '/user.create',
      { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' },
      400,
      ['BAD_REQUEST'],
    ],
    [
      'a form body',
      '/user.create',
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a' },
      400,
      ['BAD_REQUEST'],
    ],
    [
      'a multipart body that is not multipart',
      '/user.create',
      { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: 'garbage' },
      400,
      ['BAD_REQUEST'],
    ],
    [
      'a GET of a mutation',
      `/user.create?input=${q({ email: 'a@b.test', name: 'Ada' })}`,
      {},
      405,
      ['METHOD_NOT_SUPPORTED'],
    ],
    ['a POST of a query', '/ok', { method: 'POST', headers: json, body: '{}' }, 405, ['METHOD_NOT_SUPPORTED']],
    [
      'a batch mixing a query and a mutation',
      '/ok,user.create?batch=1',
      { method: 'POST', headers: json, body: '{}' },
      400,
      ['BAD_REQUEST'],
    ],
    ['a PUT', '/ok', { method: 'PUT', headers: json, body: '{}' }, 405, ['METHOD_NOT_SUPPORTED']],
    ['a DELETE', '/ok', { method: 'DELETE' }, 400, ['BAD_REQUEST']],
  ]

  test.each(CASES)('%s', async (_label, path, init, status, codes) => {
    const answer = await send(path, init)
    expect(answer.status).toBe(status)
    const items = itemsOf(answer)
    expect(codesOf(items)).toEqual(codes)
    expect(answer.header('x-request-id')).toMatch(FRESH_ID)
    // exactly one log line per failure, each under the response's id
    // one log line per failure: a batch failing as a whole is one failure, answered in every item
    const failed = items.filter((i) => i !== 'result').length
    expect(app.log.lines.length).toBeGreaterThanOrEqual(Math.min(failed, 1))
    expect(app.log.lines.length).toBeLessThanOrEqual(failed)
    for (const line of app.log.lines) {
      expect(line.obj.requestId).toBe(answer.header('x-request-id'))
      expect(line.obj.handled).toBe(true)
    }
  })

  test.each([
    ['a Host header that is not a host', 'GET /ok HTTP/1.1\r\nHost: [::\r\nConnection: close\r\n\r\n'],
    ['TRACE', 'TRACE /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'],
  ])('a request tRPC fails before reading it (%s) still gets one envelope with its status', async (_label, request) => {
    const answer = await sendRaw(request)
    const envelope = parseEnvelope(JSON.parse(answer.text)?.error?.data?.error)
    if (!envelope.ok) throw new Error(`${envelope.reason}: ${answer.text}`)
    expect(answer.status).toBe(envelope.envelope.status)
    expect(envelope.envelope.requestId).toMatch(FRESH_ID)
    expect(app.log.lines.map((l) => l.obj.requestId)).toEqual([envelope.envelope.requestId])
  })
})

describe('with superjson', () => {
  let sj: Started
  beforeAll(async () => {
    sj = await startApp({ superjson: true, expose: 'safe' })
  })
  afterAll(() => sj.close())

  test.each([
    ['values', '{"json":{"email":"a@b.test","name":"Ada"},"meta":{"values":{"__proto__.polluted":["undefined"]}}}'],
    [
      'constructor.prototype',
      '{"json":{"email":"a@b.test","name":"Ada"},"meta":{"values":{"constructor.prototype.polluted":["undefined"]}}}',
    ],
    [
      'referentialEqualities',
      '{"json":{"email":"a@b.test","name":"Ada","a":{}},"meta":{"referentialEqualities":{"a":["__proto__.polluted"]}}}',
    ],
    ['an unknown annotation', '{"json":{"email":"a@b.test","name":"Ada"},"meta":{"values":{"name":[["custom","x"]]}}}'],
  ])('input annotations aimed at a prototype (%s) answer BAD_REQUEST and pollute nothing', async (_label, body) => {
    const res = await fetch(`${sj.url}/user.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const text = await res.text()
    // the error shape travels serialized by superjson, under `error`
    const shape = superjson.deserialize<{ data: { error: unknown } }>(JSON.parse(text).error)
    const envelope = parseEnvelope(shape.data.error)
    if (!envelope.ok) throw new Error(`${envelope.reason}: ${text}`)
    expect(res.status).toBe(400)
    expect(envelope.envelope).toMatchObject({ code: 'BAD_REQUEST', status: 400, message: 'Bad request' })
    expect(res.headers.get('x-request-id')).toBe(envelope.envelope.requestId)
  })
})
