// Property tests of the client against whatever a server, a proxy or the network may answer, through
// the real link stack: faultlineLink with httpLink or httpBatchLink, with and without faultlineFetch,
// with and without superjson. Every failing call rejects with a typed FaultlineClientError; a body
// that is not a valid envelope becomes TRANSPORT_ERROR with the status the contract documents; a
// valid envelope rehydrates to its code; no prototype is polluted and nothing escapes as an uncaught
// exception or an unhandled rejection.
//
// FUZZ_RUNS sets the total number of runs (default 1,000); FUZZ_SEED replays a reported failure.
import { FaultlineClientError, faultlineFetch, faultlineLink, isFaultlineError } from '@faultline/client'
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client'
import fc from 'fast-check'
import superjson from 'superjson'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type AppRouter, plainJson } from './fixtures/app'

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS) || 1000
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined
/** A property's share of the runs; its time limit grows with them. */
const runs = (share: number, min = 10) => ({
  numRuns: Math.max(min, Math.round(TOTAL_RUNS * share)),
  ...(SEED === undefined ? {} : { seed: SEED }),
})
const timeLimit = (share: number) => Math.max(30_000, TOTAL_RUNS * share * 50)

/** How much of a raw body a transport error keeps (the client's MAX_BODY_CHARS). */
const BODY_CHARS = 2048
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const NULL_BODY_STATUSES = new Set([204, 205, 304])
const GATEWAY_STATUSES = new Set([502, 503, 504])

// ---------------------------------------------------------------------------------------------
// Escapes and prototypes, watched for the whole file

const escaped: unknown[] = []
const onEscape = (cause: unknown) => void escaped.push(cause)
beforeAll(() => {
  process.on('unhandledRejection', onEscape)
  process.on('uncaughtException', onEscape)
})
afterAll(() => {
  process.off('unhandledRejection', onEscape)
  process.off('uncaughtException', onEscape)
  expect(escaped).toEqual([])
})

const PROTOTYPES = [
  Object.prototype,
  Array.prototype,
  Function.prototype,
  Error.prototype,
  String.prototype,
  Number.prototype,
  Promise.prototype,
  Response.prototype,
  TRPCClientError.prototype,
  FaultlineClientError.prototype,
]
const prototypeKeys = () => PROTOTYPES.map((p) => Reflect.ownKeys(p).map(String).sort().join(','))
const PRISTINE = prototypeKeys()

/** After every run: no prototype gained a key, no new object inherits one, nothing escaped. */
async function expectNothingLeaked() {
  // unhandled rejections are reported after the microtask queue drains
  await new Promise((resolve) => setImmediate(resolve))
  expect(escaped).toEqual([])
  expect(prototypeKeys()).toEqual(PRISTINE)
  const fresh: Record<string, unknown> = {}
  expect(fresh.polluted).toBeUndefined()
  expect(Object.getPrototypeOf(fresh)).toBe(Object.prototype)
}

// ---------------------------------------------------------------------------------------------
// The stack under test

type LinkKind = 'httpLink' | 'httpBatchLink'
interface Stack {
  link: LinkKind
  /** Whether faultlineFetch wraps the fetch. */
  wrap: boolean
  superjson: boolean
}
type FetchLike = (url: string | URL | Request, init?: unknown) => Promise<Response>

const stackArb = (link?: LinkKind): fc.Arbitrary<Stack> =>
  fc.record({
    link: link ? fc.constant(link) : fc.constantFrom<LinkKind>('httpLink', 'httpBatchLink'),
    wrap: fc.boolean(),
    superjson: fc.boolean(),
  })

function clientFor(stack: Stack, fetch: FetchLike) {
  const opts = {
    url: 'http://faultline.test/trpc',
    transformer: stack.superjson ? superjson : plainJson,
    fetch: stack.wrap ? faultlineFetch(fetch) : fetch,
  }
  return createTRPCClient<AppRouter>({
    links: [faultlineLink(), stack.link === 'httpLink' ? httpLink(opts) : httpBatchLink(opts)],
  })
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown }
const NEVER_SETTLED = Symbol('never settled')

/** Waits for a call; a call that neither resolves nor rejects within 5 s fails the property. */
async function settle(promise: Promise<unknown>): Promise<Settled> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<typeof NEVER_SETTLED>((resolve) => {
    timer = setTimeout(() => resolve(NEVER_SETTLED), 5_000)
  })
  const settled = await Promise.race([
    promise.then(
      (value): Settled => ({ ok: true, value }),
      (error: unknown): Settled => ({ ok: false, error }),
    ),
    timeout,
  ])
  clearTimeout(timer)
  if (settled === NEVER_SETTLED) throw new Error('the call never settled')
  return settled
}

/** The rejection of a call, checked to be a Faultline error that rehydrated and narrows. */
function faultlineErrorOf(settled: Settled): FaultlineClientError {
  if (settled.ok) throw new Error(`the call resolved with ${String(JSON.stringify(settled.value)).slice(0, 200)}`)
  const err = settled.error
  expect(err).toBeInstanceOf(FaultlineClientError)
  expect(err).toBeInstanceOf(TRPCClientError)
  expect(isFaultlineError(err)).toBe(true)
  if (!(err instanceof FaultlineClientError)) throw new Error('unreachable')
  expect(typeof err.message).toBe('string')
  expect(typeof err.retry.retryable).toBe('boolean')
  return err
}

// ---------------------------------------------------------------------------------------------
// Replies: what the fetch hands back

interface Body {
  bytes: Uint8Array
  text: string
  /** The body parsed as JSON, when it is JSON. */
  json: { ok: true; value: unknown } | { ok: false }
}

const encoder = new TextEncoder()
function bodyOf(source: string | Uint8Array): Body {
  const bytes = typeof source === 'string' ? encoder.encode(source) : source
  const text = typeof source === 'string' ? source : new TextDecoder().decode(source)
  try {
    return { bytes, text, json: { ok: true, value: JSON.parse(text) } }
  } catch {
    return { bytes, text, json: { ok: false } }
  }
}

interface Reply {
  kind: 'reply'
  /** 0 answers `Response.error()`, what fetch gives for a network error in a browser. */
  status: number
  contentType: string | undefined
  body: Body
  /** The body stream fails after this many bytes, as a dropped connection does. */
  cutAfter: number | undefined
}
interface Rejection {
  kind: 'reject'
  value: () => unknown
  /** Thrown synchronously by the fetch instead of returned as a rejected promise. */
  sync: boolean
}
type Outcome = Reply | Rejection

function toResponse(reply: Reply): Response {
  if (reply.status === 0) return Response.error()
  // bytes, not a string: a string body would add a text/plain content type of its own
  const init: ResponseInit = { status: reply.status }
  if (reply.contentType !== undefined) init.headers = { 'content-type': reply.contentType }
  if (NULL_BODY_STATUSES.has(reply.status)) return new Response(null, init)
  const bytes = reply.body.bytes as Uint8Array<ArrayBuffer>
  const cut = reply.cutAfter
  if (cut === undefined) return new Response(bytes, init)
  let sent = false
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent && cut > 0) {
        sent = true
        controller.enqueue(bytes.slice(0, cut))
      } else controller.error(new TypeError('terminated: other side closed'))
    },
  })
  return new Response(stream, init)
}

function fetchAnswering(outcome: Outcome, calls: string[] = []): FetchLike {
  return (url) => {
    calls.push(String(url))
    if (outcome.kind === 'reply') return Promise.resolve(toResponse(outcome))
    if (outcome.sync) throw outcome.value()
    return Promise.reject(outcome.value())
  }
}

const statusArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 200, max: 599 }) },
  { weight: 3, arbitrary: fc.constantFrom(200, 400, 404, 413, 429, 500, 502, 503, 504) },
  { weight: 1, arbitrary: fc.constantFrom(0, 204, 205, 304) },
)
const contentTypeArb = fc.oneof(
  fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/problem+json',
    'application/jsonl',
    'text/html; charset=utf-8',
    'text/plain;charset=UTF-8',
    'application/octet-stream',
    'text/event-stream',
  ),
  fc.stringMatching(/^[a-z]{1,8}\/[a-z0-9.+-]{1,12}$/),
)

// ---------------------------------------------------------------------------------------------
// Envelopes: valid ones, and every way to break one

const codeArb = fc.stringMatching(/^[A-Z][A-Z0-9]{0,12}(?:_[A-Z0-9]{1,8}){0,4}$/).filter((code) => code.length <= 63)
const jsonArb = fc.jsonValue({ maxDepth: 3 })
const issueArb = fc.record({
  path: fc.array(fc.oneof(fc.string(), fc.nat()), { maxLength: 3 }),
  pointer: fc.string(),
  code: fc.string(),
  message: fc.string(),
})
const envelopeArb = fc.record(
  {
    v: fc.constant(1),
    code: codeArb,
    status: fc.integer({ min: 100, max: 599 }),
    message: fc.string(),
    retry: fc.oneof(
      fc.record({ retryable: fc.boolean() }),
      fc.record({
        retryable: fc.boolean(),
        // -0 is sent as 0: JSON has no negative zero
        afterMs: fc.double({ min: 0, max: 1e12, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      }),
    ),
    issues: fc.array(issueArb, { maxLength: 3 }),
    requestId: fc.string(),
    traceId: fc.string(),
    help: fc.webUrl(),
    declared: fc.boolean(),
    // members a later version may add: ignored, as RFC 9457 asks
    'x-extension': jsonArb,
  },
  { requiredKeys: ['v', 'code', 'status', 'message', 'retry'] },
)
type EnvelopeLike = Record<string, unknown>

// data that tries every way into a prototype, as JSON text (JSON.parse keeps `__proto__` as an own key)
const POLLUTING = [
  '{"__proto__":{"polluted":"data"}}',
  '{"constructor":{"prototype":{"polluted":"data"}}}',
  '{"prototype":{"polluted":"data"}}',
  '[{"__proto__":{"polluted":"data"}},{"a":{"constructor":{"prototype":{"polluted":"data"}}}}]',
  '{"__proto__":{"__proto__":{"polluted":"data"}},"toString":"x","hasOwnProperty":"y","valueOf":{}}',
]
const dataTextArb = fc.oneof(
  jsonArb.map((v) => JSON.stringify(v)),
  fc.constantFrom(...POLLUTING),
  fc
    .tuple(jsonArb, fc.constantFrom(...POLLUTING))
    .map(([v, p]) => `{"value":${JSON.stringify(v)},"__proto__":${p},"constructor":${p},"nested":[${p}]}`),
)

/** JSON text of an envelope, with `data` spliced in as text so hostile keys survive. */
function envelopeText(envelope: EnvelopeLike, dataText: string | undefined): string {
  const base = JSON.stringify(envelope)
  return dataText === undefined ? base : `${base.slice(0, -1)},"data":${dataText}}`
}

/** JSON text of a tRPC error shape around an envelope (or anything else) given as text. */
function shapeText(errorText: string | undefined): string {
  const error = errorText === undefined ? '' : `,"error":${errorText}`
  return `{"code":-32004,"message":"Not found","data":{"code":"NOT_FOUND","httpStatus":404,"path":"ok"${error}}}`
}

/** An error response item as each transformer sends it. */
function errorItem(stack: Stack, shape: string): string {
  return stack.superjson ? `{"error":{"json":${shape}}}` : `{"error":${shape}}`
}

/** An envelope made invalid in one of the ways a broken or hostile server could. */
const brokenEnvelopeTextArb: fc.Arbitrary<string> = fc.oneof(
  // wrong types and values, one member at a time
  fc
    .tuple(
      envelopeArb,
      fc.constantFrom(
        ['v', [0, 2, '1', null, true, 1.5]],
        ['code', ['lower', '', 'A-B', '_A', 'A__B', 'A'.repeat(64), 42, null, ['A'], { A: 1 }]],
        ['status', [99, 600, 404.5, '404', null, -1, 1e21, true]],
        ['message', [42, null, true, { text: 'm' }, ['m']]],
        [
          'retry',
          [
            null,
            true,
            [],
            {},
            { retryable: 'yes' },
            { retryable: true, afterMs: -1 },
            { retryable: false, afterMs: '5' },
            { retryable: true, afterMs: null },
          ],
        ],
        [
          'issues',
          [
            'x',
            {},
            [null],
            [{}],
            [{ path: 'a', pointer: '', code: 'c', message: 'm' }],
            [{ path: [true], pointer: '', code: 'c', message: 'm' }],
            [{ path: [], pointer: 1, code: 'c', message: 'm' }],
          ],
        ],
        ['requestId', [1, {}, [], true]],
        ['traceId', [1, {}, null]],
        ['help', [1, ['https://x']]],
        ['declared', ['true', 1, null]],
      ),
      fc.nat(),
    )
    .map(([envelope, [key, wrong], pick]) =>
      envelopeText({ ...envelope, [key]: wrong[pick % wrong.length] }, undefined),
    ),
  // a required member missing
  fc.tuple(envelopeArb, fc.constantFrom('v', 'code', 'status', 'message', 'retry')).map(([envelope, key]) => {
    const copy: EnvelopeLike = { ...envelope }
    delete copy[key]
    return JSON.stringify(copy)
  }),
  // data nested deeper than any envelope needs
  fc
    .tuple(envelopeArb, fc.integer({ min: 70, max: 3_000 }))
    .map(([envelope, depth]) => envelopeText(envelope, `${'['.repeat(depth)}${']'.repeat(depth)}`)),
  // the envelope's own prototype, or not an object at all
  envelopeArb.map((envelope) => `{"__proto__":${JSON.stringify(envelope)}}`),
  fc.constantFrom('null', '[]', '"envelope"', '42', 'true', '[{"v":1}]'),
)

// ---------------------------------------------------------------------------------------------
// Garbage: bodies that carry no valid envelope

/** A body for a given stack (a tRPC shape is wrapped as its transformer sends it). */
type BodyFor = (stack: Stack) => string | Uint8Array

const garbageArb: fc.Arbitrary<BodyFor> = fc.oneof(
  // a proxy's or a framework's page
  fc.tuple(fc.constantFrom('<html><body><h1>', '<!doctype html><title>', '<?xml version="1.0"?><e>'), fc.string()).map(
    ([open, s]) =>
      () =>
        `${open}${s}`,
  ),
  fc.constant(() => ''),
  fc.string({ unit: 'binary' }).map((s) => () => s),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => () => bytes),
  // JSON that is not a tRPC response
  fc.double().map((n) => () => JSON.stringify(n)),
  fc.bigInt().map((n) => () => n.toString()),
  fc.constantFrom('null', 'true', '"text"', '[]', '{}', '[[]]', '[null]', '[1,2,3]').map((s) => () => s),
  jsonArb.map((v) => () => JSON.stringify(v)),
  // deeply nested garbage
  fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"error":', '}'])).map(
    ([depth, [open, close]]) =>
      () =>
        `${open.repeat(depth)}1${close.repeat(depth)}`,
  ),
  // prototype pollution aimed at the response, the shape or superjson's annotations
  fc
    .constantFrom(
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"error":{"__proto__":{"polluted":1},"code":-32600,"message":"x"}}',
      '{"error":{"code":-32600,"message":"x","data":{"__proto__":{"polluted":1},"error":{"__proto__":{"polluted":1}}}}}',
      '{"error":{"code":-32600,"message":"x","constructor":{"prototype":{"polluted":1}}}}',
      '{"error":{"json":{"code":-32600,"message":"x","data":{}},"meta":{"values":{"__proto__.polluted":["undefined"]}}}}',
      '{"error":{"json":{"code":-32600,"message":"x","data":{}},"meta":{"values":{"constructor.prototype.polluted":["undefined"]}}}}',
      '{"error":{"json":{"code":-32600,"message":"x","data":{"a":{}}},"meta":{"referentialEqualities":{"data.a":["__proto__.polluted"]}}}}',
      '{"error":{"json":{"code":-32600,"message":"x","data":{}},"meta":{"values":{"data":[["custom","x"]]}}}}',
      '[{"__proto__":{"polluted":1}},{"constructor":{"prototype":{"polluted":1}}}]',
    )
    .map((s) => () => s),
  // a valid-looking tRPC error whose envelope is broken, absent, or carried by a broken shape
  brokenEnvelopeTextArb.map((envelope) => (stack: Stack) => errorItem(stack, shapeText(envelope))),
  fc.constant((stack: Stack) => errorItem(stack, shapeText(undefined))),
  fc
    .constantFrom('null', '{}', '"x"', '[]')
    .map((data) => (stack: Stack) => errorItem(stack, `{"code":-32004,"message":"m","data":${data}}`)),
  fc
    .tuple(envelopeArb, fc.constantFrom('"-32004"', 'null', '{}'), fc.constantFrom('null', '42', '{}'))
    .chain(([envelope, code, message]) =>
      fc.constantFrom(
        // the shape's own code or message has the wrong type: tRPC cannot read it as an error
        (stack: Stack) =>
          errorItem(
            stack,
            `{"code":${code},"message":"m","data":{"code":"NOT_FOUND","httpStatus":404,"error":${JSON.stringify(envelope)}}}`,
          ),
        (stack: Stack) =>
          errorItem(
            stack,
            `{"code":-32004,"message":${message},"data":{"code":"NOT_FOUND","httpStatus":404,"error":${JSON.stringify(envelope)}}}`,
          ),
      ),
    ),
  // a member turned by superjson's annotations into a type JSON cannot carry (plain JSON gets a
  // superjson body it cannot read)
  fc
    .tuple(
      envelopeArb,
      fc.constantFrom('v', 'code', 'status', 'message', 'retry', 'issues', 'requestId', 'declared'),
      fc.constantFrom<() => unknown>(
        () => new Date(0),
        () => new Map([['retryable', false]]),
        () => new Set([1]),
        () => 1n,
        () => /x/,
      ),
    )
    .map(([envelope, key, rich]) => () => {
      // superjson refuses to serialize keys that could reach a prototype; the generated extension may have them
      const shape = JSON.parse(shapeText(JSON.stringify(clean(envelope))))
      shape.data.error[key] = rich()
      return JSON.stringify({ error: superjson.serialize(shape) })
    }),
  // a tRPC error for the other transformer
  fc.constant((stack: Stack) => errorItem({ ...stack, superjson: !stack.superjson }, shapeText('{"v":1}'))),
  // cut off part way: a prefix of an object is never JSON
  fc
    .tuple(envelopeArb, dataTextArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
    .map(([envelope, data, at]) => (stack: Stack) => {
      const whole = errorItem(stack, shapeText(envelopeText(envelope, data)))
      return whole.slice(0, Math.floor(whole.length * at))
    }),
)

const rejectionArb: fc.Arbitrary<Rejection> = fc.record({
  kind: fc.constant('reject' as const),
  value: fc.oneof(
    fc.string().map((m) => () => new TypeError(`fetch failed: ${m}`)),
    fc.constant(() => new DOMException('The operation was aborted.', 'AbortError')),
    fc.constant(() => Object.assign(new Error('aborted'), { name: 'AbortError' })),
    fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean()).map((v) => () => v),
    fc.constant(() => Object.create(null) as object),
  ),
  sync: fc.boolean(),
})

/** Whether tRPC's link would read this JSON as a successful result (any status, as tRPC does). */
function successShaped(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  return !('error' in value) && (value as { result?: unknown }).result != null
}

/**
 * Checks one call that got no valid envelope: it rejects with TRANSPORT_ERROR, with the status a
 * response gave (0 only when none arrived or could be read), retryable only without a response
 * (unless aborted) or from a gateway, and keeping at most the start of the raw body.
 */
function checkTransport(stack: Stack, outcome: Outcome, settled: Settled) {
  if (outcome.kind === 'reject') {
    const err = faultlineErrorOf(settled)
    expect(err.code).toBe('TRANSPORT_ERROR')
    expect(err.status).toBe(0)
    const cause = outcome.value()
    const aborted = cause instanceof Error && cause.name === 'AbortError'
    expect(err.retry.retryable).toBe(!aborted)
    return
  }
  const { body } = outcome
  // what the response carried: no body for Response.error() and the null-body statuses
  const json = outcome.status === 0 || NULL_BODY_STATUSES.has(outcome.status) ? ({ ok: false } as const) : body.json
  // httpBatchLink reads an array as one item per call, anything else as every call's item
  const batch = json.ok && stack.link === 'httpBatchLink' && Array.isArray(json.value) ? json.value : undefined
  if (settled.ok) {
    // only a body tRPC reads as a result may resolve
    expect(json.ok && successShaped(batch ? batch[0] : json.value)).toBe(true)
    return
  }
  const err = faultlineErrorOf(settled)
  expect(err.code).toBe('TRANSPORT_ERROR')
  expect(err.details).toBeUndefined()
  expect(err.issues).toEqual([])
  const passedThrough = outcome.contentType?.includes('text/event-stream') ?? false
  // a batch answered with fewer items than calls: tRPC fails the missing ones with no response attached
  const missing = batch?.length === 0
  let expected: number | 'either'
  if (outcome.status === 0 || missing) expected = 0
  else if (outcome.cutAfter !== undefined) expected = 'either'
  else if (stack.wrap && !passedThrough) expected = outcome.status
  else expected = json.ok ? outcome.status : 0
  if (expected === 'either') expect([0, outcome.status]).toContain(err.status)
  else expect(err.status).toBe(expected)
  expect(err.retry.retryable).toBe(err.status === 0 || GATEWAY_STATUSES.has(err.status))
  if (err.body !== undefined) expect(err.body.length).toBeLessThanOrEqual(BODY_CHARS + 40)
  // faultlineFetch keeps the start of a body that is not JSON, as the response gave it
  if (stack.wrap && !passedThrough && expected === outcome.status && !json.ok && outcome.status !== 0) {
    const text = NULL_BODY_STATUSES.has(outcome.status) ? '' : body.text
    expect(err.body?.slice(0, BODY_CHARS)).toBe(text.slice(0, BODY_CHARS))
  }
}

const replyArb = (bodyFor: fc.Arbitrary<BodyFor>, stack: Stack): fc.Arbitrary<Reply> =>
  fc.record({
    kind: fc.constant('reply' as const),
    status: statusArb,
    contentType: contentTypeArb,
    body: bodyFor.map((make) => bodyOf(make(stack))),
    // now and then the connection drops part way through the body
    cutAfter: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat({ max: 64 }) }),
  })

test(
  'a body that is not a valid envelope, or no response at all, rejects with TRANSPORT_ERROR and leaks nothing',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        stackArb().chain((stack) =>
          fc.tuple(
            fc.constant(stack),
            fc.oneof({ weight: 9, arbitrary: replyArb(garbageArb, stack) }, { weight: 1, arbitrary: rejectionArb }),
          ),
        ),
        async ([stack, outcome]) => {
          const settled = await settle(clientFor(stack, fetchAnswering(outcome)).ok.query())
          checkTransport(stack, outcome, settled)
          await expectNothingLeaked()
        },
      ),
      runs(0.4),
    )
  },
  timeLimit(0.4),
)

// ---------------------------------------------------------------------------------------------
// Valid envelopes rehydrate, whatever surrounds them

/** What a clean copy of sent JSON is: the same values without the keys that could reach a prototype. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean)
  if (typeof value !== 'object' || value === null) return value
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !FORBIDDEN_KEYS.has(key))
      .map(([key, v]) => [key, clean(v)]),
  )
}

/** Where in a value a plain object has an unusual prototype or a key that could reach one. */
function hostileKeys(value: unknown, at = '', found: string[] = [], depth = 0): string[] {
  if (depth > 80 || typeof value !== 'object' || value === null) return found
  if (!Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value)
    const rich = value instanceof Date || value instanceof Map || value instanceof Set
    if (!rich && proto !== Object.prototype && proto !== null) found.push(`${at} has an unusual prototype`)
    for (const key of FORBIDDEN_KEYS) if (Object.hasOwn(value, key)) found.push(`${at}.${key}`)
  }
  for (const [key, child] of Object.entries(value)) hostileKeys(child, `${at}.${key}`, found, depth + 1)
  return found
}

interface ValidCase {
  envelope: EnvelopeLike
  /** The body item: a tRPC error shape carrying the envelope, as the transformer sends it. */
  item: string
  /** The `details` the client must end up with. */
  details: unknown
}

const richDataArb = fc.record({
  at: fc.date({ noInvalidDate: true }),
  tags: fc.array(fc.tuple(fc.string(), fc.integer())).map((entries) => new Map(entries)),
  limit: fc.bigInt(),
  set: fc.array(fc.string(), { maxLength: 3 }).map((items) => new Set(items)),
})

const validCaseArb = (stack: Stack): fc.Arbitrary<ValidCase> => {
  const asText = fc.tuple(envelopeArb, fc.option(dataTextArb, { nil: undefined })).map(([envelope, dataText]) => ({
    envelope,
    item: errorItem(stack, shapeText(envelopeText(envelope, dataText))),
    details: dataText === undefined ? undefined : clean(JSON.parse(dataText)),
  }))
  if (!stack.superjson) return asText
  // superjson carries what JSON cannot: a Date, a Map, a BigInt, a Set
  const rich = fc.tuple(envelopeArb.map(clean), richDataArb).map(([cleaned, data]) => {
    // superjson refuses to serialize keys that could reach a prototype; the generated extension may have them
    const envelope = cleaned as EnvelopeLike
    const shape = JSON.parse(shapeText(JSON.stringify(envelope)))
    shape.data.error.data = data
    return {
      envelope,
      item: JSON.stringify({ error: superjson.serialize(shape) }),
      details: superjson.deserialize(superjson.serialize(data)),
    }
  })
  return fc.oneof(asText, rich)
}

/** Checks that a call rehydrated the envelope it was sent, member by member, with clean data. */
function checkRehydrated(settled: Settled, sent: ValidCase) {
  const err = faultlineErrorOf(settled)
  // what the JSON text carried: numbers as JSON gives them back (-0 arrives as 0)
  const envelope = JSON.parse(JSON.stringify(sent.envelope)) as EnvelopeLike
  expect(err.code).toBe(envelope.code)
  expect(err.status).toBe(envelope.status)
  expect(err.message).toBe(envelope.message)
  expect(err.retry).toEqual(envelope.retry)
  expect(err.issues).toEqual(envelope.issues ?? [])
  expect(err.requestId).toBe(envelope.requestId)
  expect(err.help).toBe(envelope.help)
  expect(err.details).toEqual(sent.details)
  expect(err.envelope).not.toHaveProperty('x-extension')
  expect(err.data?.error).toBe(err.envelope)
  expect(hostileKeys(err.envelope)).toEqual([])
}

test(
  'a valid envelope rehydrates to its code and data on any status and content type, hostile keys dropped',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        stackArb().chain((stack) =>
          fc.tuple(
            fc.constant(stack),
            validCaseArb(stack),
            fc.integer({ min: 200, max: 599 }).filter((s) => !NULL_BODY_STATUSES.has(s)),
            contentTypeArb.filter((t) => t !== 'text/event-stream'),
          ),
        ),
        async ([stack, sent, status, contentType]) => {
          const reply: Reply = { kind: 'reply', status, contentType, body: bodyOf(sent.item), cutAfter: undefined }
          checkRehydrated(await settle(clientFor(stack, fetchAnswering(reply)).ok.query()), sent)
          await expectNothingLeaked()
        },
      ),
      runs(0.3),
    )
  },
  timeLimit(0.3),
)

// ---------------------------------------------------------------------------------------------
// Batches: arrays of the wrong length, mixed items

type BatchItem =
  | { kind: 'valid'; sent: ValidCase }
  | { kind: 'result'; text: string }
  | { kind: 'garbage'; text: string }

const batchItemArb = (stack: Stack): fc.Arbitrary<BatchItem> =>
  fc.oneof(
    validCaseArb(stack).map((sent) => ({ kind: 'valid' as const, sent })),
    fc.constant({
      kind: 'result' as const,
      text: stack.superjson ? '{"result":{"data":{"json":{"n":7}}}}' : '{"result":{"data":{"n":7}}}',
    }),
    fc
      .oneof(
        fc.constantFrom('null', '42', '"x"', '[]', '{}', '{"result":null}', '{"error":null}', '{"error":{"code":"x"}}'),
        brokenEnvelopeTextArb.map((envelope) => errorItem(stack, shapeText(envelope))),
      )
      .map((text) => ({ kind: 'garbage' as const, text })),
  )

test(
  'a batch answered with too few, too many or broken items fails each call on its own, never another',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        stackArb('httpBatchLink').chain((stack) =>
          fc.tuple(
            fc.constant(stack),
            fc.integer({ min: 1, max: 6 }),
            fc.array(batchItemArb(stack), { maxLength: 9 }),
            fc.integer({ min: 200, max: 599 }).filter((s) => !NULL_BODY_STATUSES.has(s)),
            fc.constantFrom('application/json', 'text/plain;charset=UTF-8', 'text/html'),
          ),
        ),
        async ([stack, calls, items, status, contentType]) => {
          const body = bodyOf(`[${items.map((i) => (i.kind === 'valid' ? i.sent.item : i.text)).join(',')}]`)
          const requests: string[] = []
          const client = clientFor(
            stack,
            fetchAnswering({ kind: 'reply', status, contentType, body, cutAfter: undefined }, requests),
          )
          const results = await Promise.all(Array.from({ length: calls }, (_, n) => settle(client.ok.query({ n }))))
          // one request carried every call
          expect(requests).toHaveLength(1)
          expect(new URL(requests[0] ?? '').pathname.split('/').at(-1)?.split(',')).toHaveLength(calls)
          results.forEach((settled, n) => {
            const item = items[n]
            if (item === undefined) {
              // no item for this call: a response did arrive, but nothing in it is this call's
              expect(faultlineErrorOf(settled).code).toBe('TRANSPORT_ERROR')
            } else if (item.kind === 'valid') checkRehydrated(settled, item.sent)
            else if (item.kind === 'result') expect(settled).toEqual({ ok: true, value: { n: 7 } })
            else {
              const err = faultlineErrorOf(settled)
              expect(err.code).toBe('TRANSPORT_ERROR')
              expect(err.status).toBe(status)
              expect(err.retry.retryable).toBe(GATEWAY_STATUSES.has(status))
            }
          })
          await expectNothingLeaked()
        },
      ),
      runs(0.3),
    )
  },
  timeLimit(0.3),
)

// ---------------------------------------------------------------------------------------------
// Huge bodies

const MB = 1024 * 1024
const HUGE = {
  html: () => `<html><body>${'<p>upstream error</p>'.repeat((5 * MB) / 20)}</body></html>`,
  binary: () => new Uint8Array(3 * MB).map((_, i) => (i * 7919) % 256),
  brokenEnvelope: (stack: Stack) =>
    errorItem(stack, shapeText(`{"v":2,"code":"X","status":500,"message":"${'m'.repeat(3 * MB)}"}`)),
  // 50,000 levels: far past any recursive reader
  deepArrays: () => `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
  deepObjects: (stack: Stack) => errorItem(stack, shapeText(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`)),
  truncated: (stack: Stack) => errorItem(stack, shapeText(`{"v":1,"message":"${'x'.repeat(4 * MB)}`)),
}
type HugeKind = keyof typeof HUGE
// built once per kind and transformer: building and parsing MBs on every run would only measure that
const hugeBodies = new Map<string, Body>()
function hugeBody(kind: HugeKind, stack: Stack): Body {
  const key = `${kind}:${stack.superjson}`
  let body = hugeBodies.get(key)
  if (!body) {
    body = bodyOf(HUGE[kind](stack))
    hugeBodies.set(key, body)
  }
  return body
}

const STACKS: Stack[] = (['httpLink', 'httpBatchLink'] as const).flatMap((link) =>
  [false, true].flatMap((wrap) => [false, true].map((superjson) => ({ link, wrap, superjson }))),
)
const HUGE_STATUSES = [200, 400, 500, 502]

const validBig = new Map<boolean, { sent: ValidCase; body: Body }>()
function validBigFor(stack: Stack) {
  let big = validBig.get(stack.superjson)
  if (!big) {
    const envelope = { v: 1, code: 'EXPORT_FAILED', status: 500, message: 'm'.repeat(MB), retry: { retryable: true } }
    const data = { rows: Array.from({ length: 2_000 }, (_, i) => ({ i, line: 'x'.repeat(1_000) })) }
    const item = errorItem(stack, shapeText(envelopeText(envelope, JSON.stringify(data))))
    big = { sent: { envelope, item, details: data }, body: bodyOf(item) }
    validBig.set(stack.superjson, big)
  }
  return big
}

// every kind through every stack, the statuses taking turns: few enough cases to try them all
const statusFor = (stack: Stack) => HUGE_STATUSES[STACKS.indexOf(stack) % HUGE_STATUSES.length] ?? 500

describe.each(Object.keys(HUGE) as HugeKind[])('a huge body (%s)', (kind) => {
  test.each(STACKS)('is cut to the start a diagnosis needs: %o', async (stack) => {
    const contentType = kind === 'html' ? 'text/html' : kind === 'binary' ? undefined : 'application/json'
    const body = hugeBody(kind, stack)
    const reply: Reply = { kind: 'reply', status: statusFor(stack), contentType, body, cutAfter: undefined }
    checkTransport(stack, reply, await settle(clientFor(stack, fetchAnswering(reply)).ok.query()))
    await expectNothingLeaked()
  })
})

test.each(STACKS)('a valid envelope of several MB rehydrates: %o', async (stack) => {
  const { sent, body } = validBigFor(stack)
  // labelled JSON: faultlineFetch reads a JSON error body whole, as tRPC would
  const reply: Reply = {
    kind: 'reply',
    status: statusFor(stack),
    contentType: 'application/json',
    body,
    cutAfter: undefined,
  }
  checkRehydrated(await settle(clientFor(stack, fetchAnswering(reply)).ok.query()), sent)
  await expectNothingLeaked()
})
