// Property tests of the server: hostile values thrown from every place a
// failure can start (resolvers, middlewares, createContext, output
// validation, background tasks) always answer with one valid envelope whose
// status is the response's, leak no secret in safe exposure, and are logged
// and reported exactly once. FUZZ_RUNS sets the total number of runs.
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { getDefinition, IMPLICIT_CODES, parseEnvelope } from '@faultline/contract'
import { createFaultline, defineTask, handle, type ReportEvent } from '@faultline/server'
import type { StandardSchemaV1 } from '@standard-schema/spec'
import { initTRPC, TRPCError } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import fc from 'fast-check'
import superjson from 'superjson'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { z } from 'zod'
import { plainJson } from './fixtures/app'
import { errors } from './fixtures/catalog'
import {
  build,
  CATALOG_CODES,
  expectedCode,
  HandlerBadDataError,
  HandlerGarbageError,
  HandlerThrowsError,
  MappedError,
  type Spec,
  secretArb,
  setsRetryAfter,
  statusOf,
  thrownSpec,
} from './fixtures/hostile-values'
import { listen } from './fixtures/listen'
import { memoryLogger } from './fixtures/logger'

const TOTAL_RUNS = Number(process.env.FUZZ_RUNS) || 2_400
const runs = (share: number) => Math.max(20, Math.round(TOTAL_RUNS * share))
// generous: a long run (FUZZ_RUNS=100000) must not hit the per-test timeout
const timeout = (share: number) => 30_000 + runs(share) * 20

const IMPLICIT: ReadonlySet<string> = new Set(IMPLICIT_CODES)
const DECLARED = ['USER_NOT_FOUND', 'TEAPOT'] as const
const SITES = [
  'resolver',
  'rejected',
  'middleware',
  'afterNext',
  'context',
  'output',
  'unchecked',
  'declared',
  'input',
  'schemaThrows',
  'schemaIssues',
  'malformed',
] as const
type Site = (typeof SITES)[number]
const MUTATIONS: ReadonlySet<Site> = new Set(['rejected', 'malformed'])

interface Config {
  expose: 'safe' | 'debug'
  superjson: boolean
  strict: boolean
}
const CONFIGS: Config[] = [
  { expose: 'safe', superjson: false, strict: false },
  { expose: 'safe', superjson: true, strict: true },
  { expose: 'debug', superjson: false, strict: false },
]

function standardSchema(validate: () => StandardSchemaV1.Result<unknown>): StandardSchemaV1 {
  return { '~standard': { version: 1, vendor: 'fuzz', validate } }
}

/** The fuzz app: every procedure fails with whatever `current` builds, from its own place. */
function buildFuzzApp(config: Config) {
  const log = memoryLogger()
  const reports: ReportEvent[] = []
  let current: () => unknown = () => undefined
  const fl = createFaultline({
    errors,
    expose: config.expose,
    strict: config.strict,
    logger: log.logger,
    report: (e) => void reports.push(e),
    ...(config.superjson ? { transformer: superjson } : {}),
    handlers: [
      // a predicate reads every thrown value: it must survive Proxies and getters too
      handle(
        (e) => typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'never-generated',
        () => errors.NOT_FOUND(),
      ),
      handle(MappedError, () => errors.TEAPOT({ name: 'mapped' })),
      handle(HandlerThrowsError, (e) => {
        throw new Error(`handler failed on ${e.message}`)
      }),
      handle(HandlerGarbageError, (e) => ({ code: 'NOT_FOUND', message: e.message }) as never),
      handle(HandlerBadDataError, (e) => errors.USER_NOT_FOUND({ userId: { leaked: e.message } as never })),
    ],
  })
  const t = initTRPC
    .context<{ requestId: string }>()
    .create({ errorFormatter: fl.errorFormatter, transformer: config.superjson ? superjson : plainJson })
  const fail = (): never => {
    throw current()
  }
  const router = t.router({
    resolver: t.procedure.input(z.unknown()).query(fail),
    rejected: t.procedure.input(z.unknown()).mutation(async () => {
      await Promise.resolve()
      return Promise.reject(current())
    }),
    middleware: t.procedure
      .use(fail)
      .input(z.unknown())
      .query(() => 'unreachable'),
    afterNext: t.procedure
      .use(async ({ next }) => {
        await next()
        return fail()
      })
      .input(z.unknown())
      .query(() => 'done'),
    context: t.procedure.input(z.unknown()).query(() => 'unreachable'),
    output: t.procedure
      .input(z.unknown())
      .output(z.object({ ok: z.literal(true) }))
      .query(() => current() as { ok: true }),
    declared: t.procedure
      .errors(fl.declare(...DECLARED))
      .input(z.unknown())
      .query(fail),
    // garbage a schema lets through: the response itself may fail to serialize
    unchecked: t.procedure
      .input(z.unknown())
      .output(z.unknown())
      .query(() => current()),
    input: t.procedure.input(z.object({ qty: z.number().int().positive() })).query(() => 'unreachable'),
    // a Standard Schema validator that crashes, or answers garbage for issues
    schemaThrows: t.procedure.input(standardSchema(fail)).query(fail),
    schemaIssues: t.procedure.input(standardSchema(() => ({ issues: current() }) as never)).query(fail),
    malformed: t.procedure.input(z.unknown()).mutation(fail),
  })
  const createContext = fl.createContext((opts: { info: { calls: readonly { path: string }[] } }) => {
    if (opts.info.calls.some((c) => c.path === 'context')) fail()
    return {}
  })
  const handleFetch = (req: Request) =>
    fetchRequestHandler({ endpoint: '/trpc', req, router, createContext, ...fl.adapter() })
  return {
    config,
    fl,
    router,
    createContext,
    log,
    reports,
    handleFetch,
    /** Sets what the procedures throw (or return, for `output`). */
    throwing(make: () => unknown) {
      current = make
    },
    clear() {
      log.clear()
      reports.splice(0)
    },
  }
}
type FuzzApp = ReturnType<typeof buildFuzzApp>

const json = fc.jsonValue({ maxDepth: 3 })
const requestId = fc.option(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9._:@/+=-]{1,128}$/),
    fc.constantFrom('a'.repeat(200), 'idé', 'a b', 'x\r\ny', '', '<script>'),
  ),
  { nil: undefined },
)
const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

interface Call {
  site: Site
  batch: boolean
  input: unknown
  /** For `malformed`: what follows the start of a JSON body. */
  garbage: string
  requestId: string | undefined
}

/** The request for a call to one site (twice in a batch), its input carrying the secret. */
function requestFor(app: FuzzApp, base: string, call: Call, secret: string): Request {
  const input = { token: secret, payload: call.input }
  // superjson's wire form of plain JSON, written by hand: its serializer refuses hostile keys a client may still send
  const wire = app.config.superjson ? { json: input } : input
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (call.requestId !== undefined && !/[\r\n]/.test(call.requestId) && /^[\x20-\x7e]*$/.test(call.requestId)) {
    headers['x-request-id'] = call.requestId
  }
  const path = call.batch ? `${call.site},${call.site}` : call.site
  const encoded = call.batch ? { 0: wire, 1: wire } : wire
  const query = call.batch ? '?batch=1' : ''
  if (call.site === 'malformed') {
    // JSON.parse quotes the start of what it cannot parse in its message: the secret is there
    const body = `{"token":"${secret}",${call.garbage}`
    return new Request(`${base}/${path}${query}`, { method: 'POST', headers, body })
  }
  if (MUTATIONS.has(call.site)) {
    return new Request(`${base}/${path}${query}`, { method: 'POST', headers, body: JSON.stringify(encoded) })
  }
  const sep = query ? '&' : '?'
  return new Request(`${base}/${path}${query}${sep}input=${encodeURIComponent(JSON.stringify(encoded))}`, { headers })
}

interface Answer {
  status: number
  headers: Headers
  text: string
}

function expectedFor(site: Site, spec: Spec, config: Config): string | undefined {
  if (site === 'input') return 'VALIDATION_FAILED'
  // a value returned, not thrown: it fails its schema or the response's serialization
  if (site === 'output' || site === 'unchecked') return 'INTERNAL'
  // tRPC answers any failure of input parsing as BAD_REQUEST; a cause may decide instead
  if (site === 'schemaThrows' || site === 'schemaIssues' || site === 'malformed') return undefined
  const code = expectedCode(spec, { superjson: config.superjson })
  if (
    site === 'declared' &&
    config.strict &&
    code &&
    !IMPLICIT.has(code) &&
    !(DECLARED as readonly string[]).includes(code)
  ) {
    return 'INTERNAL'
  }
  return code
}

/**
 * Every guarantee a failed call's response must keep. Checked with node:assert: thousands of runs
 * of vitest's expect cost more than the server under test.
 */
function checkAnswer(app: FuzzApp, call: Call, spec: Spec, secret: string, res: Answer) {
  const { config } = app
  const body = JSON.parse(res.text) as unknown
  // garbage an unchecked output lets through may be sent when it serializes: the procedure returned it
  if (call.site === 'unchecked' && res.status === 200) return
  // a batch answers each call, unless the request failed as a whole (tRPC could not wrap what was thrown)
  const whole = !Array.isArray(body)
  const items = (whole ? [body] : body) as { error?: unknown }[]
  assert.equal(items.length, whole ? 1 : 2)
  if (!call.batch) assert.ok(whole, 'a single call answers one object')
  const envelopes = items.map((item) => {
    assert.ok(item.error, 'a failed call answers an error')
    const shape = (config.superjson ? superjson.deserialize(item.error as never) : item.error) as {
      code: number
      message: string
      data: { httpStatus: number; code: string; error: unknown }
    }
    const parsed = parseEnvelope(shape.data.error)
    if (!parsed.ok) throw new Error(`not an envelope: ${parsed.reason}`)
    const envelope = parsed.envelope
    assert.equal(envelope.v, 1)
    assert.ok(CATALOG_CODES.includes(envelope.code as never), `${envelope.code} is a catalog code`)
    assert.equal(envelope.status, statusOf(envelope.code))
    assert.equal(envelope.retry.retryable, getDefinition(errors, envelope.code)?.retryable)
    assert.equal(shape.data.httpStatus, envelope.status)
    assert.equal(shape.message, envelope.message)
    if (config.expose === 'safe') assert.equal(envelope.debug, undefined)
    const expected = expectedFor(call.site, spec, config)
    if (expected !== undefined) assert.equal(envelope.code, expected)
    if (call.site === 'declared') {
      const declared = (DECLARED as readonly string[]).includes(envelope.code)
      if (config.strict) assert.ok(declared || IMPLICIT.has(envelope.code), `${envelope.code} is declared or implicit`)
      assert.equal(envelope.declared, declared ? true : IMPLICIT.has(envelope.code) ? undefined : false)
    } else {
      assert.equal(envelope.declared, undefined)
    }
    return envelope
  })

  // the HTTP status is the envelope's (a batch of two equal statuses keeps it, different ones give 207)
  const statuses = new Set(envelopes.map((e) => e.status))
  assert.equal(res.status, statuses.size === 1 ? envelopes[0]?.status : 207)

  // one request id: the incoming one when it is safe, in the header and every envelope
  const ids = res.headers.get('x-request-id')?.split(', ') ?? []
  // tRPC asks responseMeta again when a result fails to serialize after its headers were made, and
  // appends what it answers: the id repeats there (a tRPC limitation), and only there
  if (call.site !== 'unchecked') assert.equal(ids.length, 1)
  const id = ids[0]
  assert.ok(id && ids.every((each) => each === id), 'one request id in the header')
  for (const e of envelopes) assert.equal(e.requestId, id)
  const sent = call.requestId !== undefined && SAFE_ID.test(call.requestId) ? call.requestId : undefined
  if (sent) assert.equal(id, sent)
  else assert.match(id, /^req_[0-9a-f]{32}$/)

  // Retry-After made from an error's delay is a whole number of seconds (RFC 9110), whatever the delay
  const retryAfter = res.headers.get('retry-after')
  if (retryAfter !== null && !setsRetryAfter(spec)) assert.match(retryAfter, /^\d+$/)

  if (config.expose === 'safe') {
    assert.ok(!res.text.includes(secret), `the body leaks the secret: ${res.text.slice(0, 2000)}`)
    for (const [name, value] of res.headers) {
      assert.ok(!`${name}: ${value}`.includes(secret), `a header leaks the secret: ${name}: ${value}`)
    }
  }

  // one log line and one report per failure (a context failure is one for the whole request)
  const failures = call.site === 'context' ? 1 : envelopes.length
  const codes = (list: { code?: unknown }[]) => list.map((x) => x.code).sort()
  assert.deepEqual(codes(app.log.lines.map((l) => l.obj)), codes(envelopes.slice(0, failures)))
  assert.deepEqual(codes(app.reports), codes(envelopes.slice(0, failures)))
  for (const line of app.log.lines) assert.equal(line.obj.requestId, id)
  for (const report of app.reports) {
    assert.equal(report.requestId, id)
    assert.equal(report.source, 'request')
    if (report.code !== 'INTERNAL') assert.equal(report.handled, true)
    if (!report.handled)
      assert.ok(
        app.log.lines.some((l) => l.level === 'error'),
        'a crash is logged as an error',
      )
  }
}

/**
 * What to hide in the thrown values. A validator's issue messages are what a form shows, sent by
 * design, so the garbage a validator answers for issues carries a marker that may be sent; the
 * secret stays in the input.
 */
function markerFor(site: Site, secret: string): string {
  return site === 'schemaIssues' ? secret.replace('SECRET_', 'ISSUE_') : secret
}

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
  process.on('uncaughtException', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  process.off('uncaughtException', onUnhandled)
})
afterEach(async () => {
  // let stray rejections surface before looking
  await new Promise((resolve) => setTimeout(resolve, 10))
  expect(unhandled).toEqual([])
  expect(Object.prototype).not.toHaveProperty('polluted')
})

const callArb = fc
  .record({ site: fc.constantFrom(...SITES), batch: fc.boolean(), input: json, garbage: fc.string(), requestId })
  // a malformed body fails the request once, however many calls it names
  .map((call) => (call.site === 'malformed' ? { ...call, batch: false } : call))

describe('fuzzed failures, in process through the fetch adapter', () => {
  const apps = CONFIGS.map(buildFuzzApp)

  test(
    'every failure answers one valid envelope, with the response status, no secret, one log line and one report',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(CONFIGS.length - 1),
          callArb,
          thrownSpec,
          secretArb,
          async (configIndex, call, spec, secret) => {
            const app = apps[configIndex] as FuzzApp
            app.clear()
            app.throwing(() => build(spec, markerFor(call.site, secret)))
            const res = await app.handleFetch(requestFor(app, 'http://fuzz.test/trpc', call, secret))
            checkAnswer(app, call, spec, secret, { status: res.status, headers: res.headers, text: await res.text() })
            assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
          },
        ),
        { numRuns: runs(0.5) },
      )
    },
    timeout(0.5),
  )
})

describe('one value thrown by several requests (a shared error constant)', () => {
  const apps = CONFIGS.map(buildFuzzApp)
  const THROWING_SITES = ['resolver', 'rejected', 'middleware', 'afterNext', 'context', 'declared'] as const

  test(
    'is one failure per request, answered and logged under that request’s own id, concurrent or not',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(CONFIGS.length - 1),
          fc.constantFrom(...THROWING_SITES),
          thrownSpec,
          secretArb,
          // the same id for every request (a retrying client, a proxy), none, or each its own
          fc.constantFrom('same', 'none', 'distinct'),
          fc.integer({ min: 2, max: 4 }),
          fc.boolean(),
          async (configIndex, site, spec, secret, ids, count, concurrent) => {
            const app = apps[configIndex] as FuzzApp
            app.clear()
            const shared = build(spec, secret)
            app.throwing(() => shared)
            const calls = Array.from({ length: count }, (_, i): Call => {
              const requestId = ids === 'same' ? 'client-retry-1' : ids === 'distinct' ? `client-${i}` : undefined
              return { site, batch: false, input: i, garbage: '', requestId }
            })
            const send = async (call: Call) => {
              const res = await app.handleFetch(requestFor(app, 'http://fuzz.test/trpc', call, secret))
              const text = await res.text()
              const body = JSON.parse(text) as { error: unknown }
              const shape = (app.config.superjson ? superjson.deserialize(body.error as never) : body.error) as {
                data: { error: { requestId?: string; code: string } }
              }
              return { header: res.headers.get('x-request-id'), envelope: shape.data.error }
            }
            const answers = concurrent ? await Promise.all(calls.map(send)) : []
            if (!concurrent) for (const call of calls) answers.push(await send(call))

            for (const [i, answer] of answers.entries()) {
              assert.equal(answer.envelope.requestId, answer.header)
              if (ids === 'same') assert.equal(answer.header, 'client-retry-1')
              if (ids === 'distinct') assert.equal(answer.header, `client-${i}`)
            }
            if (ids === 'none') assert.equal(new Set(answers.map((a) => a.header)).size, count)
            // every request's failure is logged and reported, under its own id
            const logged = app.log.lines.map((l) => l.obj.requestId).sort()
            const reported = app.reports.map((r) => r.requestId).sort()
            const expected = answers.map((a) => a.header).sort()
            assert.deepEqual(logged, expected)
            assert.deepEqual(reported, expected)
          },
        ),
        { numRuns: runs(0.05) },
      )
    },
    timeout(0.05),
  )
})

describe('fuzzed failures over the node standalone HTTP server', () => {
  const app = buildFuzzApp(CONFIGS[0] as Config)
  let url = ''
  let close: () => Promise<void> = async () => {}
  beforeAll(async () => {
    const server: Server = createHTTPServer({
      router: app.router,
      createContext: app.createContext,
      ...app.fl.adapter(),
    })
    ;({ url, close } = await listen(server))
  })
  afterAll(() => close())

  test(
    'every failure answers one valid envelope over real HTTP, with no secret in body or headers',
    async () => {
      await fc.assert(
        fc.asyncProperty(callArb, thrownSpec, secretArb, async (call, spec, secret) => {
          app.clear()
          app.throwing(() => build(spec, markerFor(call.site, secret)))
          const req = requestFor(app, url, call, secret)
          const res = await fetch(req)
          checkAnswer(app, call, spec, secret, { status: res.status, headers: res.headers, text: await res.text() })
        }),
        { numRuns: runs(0.1) },
      )
    },
    timeout(0.1),
  )
})

describe('fuzzed failures outside tRPC', () => {
  const app = buildFuzzApp(CONFIGS[0] as Config)

  test(
    'toProblem answers any thrown value with problem+json that serializes, with no secret, logged and reported once',
    () => {
      fc.assert(
        fc.property(thrownSpec, secretArb, requestId, (spec, secret, incoming) => {
          app.clear()
          const problem = app.fl.toProblem(build(spec, secret), {
            ...(incoming === undefined ? {} : { requestId: incoming }),
            instance: '/orders/1',
          })
          const { body } = problem
          const text = JSON.stringify(body)
          assert.ok(CATALOG_CODES.includes(body.code as never), `${body.code} is a catalog code`)
          assert.equal(body.status, statusOf(body.code))
          assert.equal(problem.status, body.status)
          const expected = expectedCode(spec, { superjson: false })
          if (expected !== undefined) assert.equal(body.code, expected)
          assert.equal(problem.headers['content-type'], 'application/problem+json')
          const sent = incoming !== undefined && SAFE_ID.test(incoming) ? incoming : undefined
          assert.equal(problem.headers['x-request-id'], body.requestId)
          if (sent) assert.equal(body.requestId, sent)
          // every header can be sent as it is
          const headers = new Headers(problem.headers)
          assert.ok(!text.includes(secret), `the problem leaks the secret: ${text.slice(0, 2000)}`)
          for (const [name, value] of headers) assert.ok(!value.includes(secret), `${name} leaks the secret`)
          assert.deepEqual(
            app.log.lines.map((l) => l.obj.code),
            [body.code],
          )
          assert.deepEqual(
            app.reports.map((r) => r.code),
            [body.code],
          )
        }),
        { numRuns: runs(0.1) },
      )
    },
    timeout(0.1),
  )
})

describe('fuzzed background task failures', () => {
  const MODES = ['sync', 'async', 'late', 'reject'] as const
  function buildTasksApp(config: Config) {
    const log = memoryLogger()
    const reports: ReportEvent[] = []
    let current: () => unknown = () => undefined
    const explode = defineTask({
      name: 'explode',
      payload: z.object({ token: z.string(), mode: z.enum(MODES) }),
      retry: { attempts: 1 },
      timeoutMs: 5_000,
      async run({ mode }) {
        if (mode === 'sync') throw current()
        if (mode === 'reject') return Promise.reject(current())
        await new Promise((resolve) => setTimeout(resolve, mode === 'late' ? 1 : 0))
        throw current()
      },
    })
    const fl = createFaultline({
      errors,
      expose: config.expose,
      logger: log.logger,
      report: (e) => void reports.push(e),
      ...(config.superjson ? { transformer: superjson } : {}),
      handlers: [handle(MappedError, () => errors.TEAPOT({ name: 'mapped' }))],
      background: { tasks: [explode] },
    })
    const t = initTRPC
      .context<{ requestId: string }>()
      .create({ errorFormatter: fl.errorFormatter, transformer: config.superjson ? superjson : plainJson })
    const router = t.router({
      enqueue: t.procedure
        .concat(fl.background)
        .input(z.object({ token: z.string(), mode: z.enum(MODES) }))
        .mutation(({ ctx, input }) => ctx.background.enqueue('explode', input)),
      tasks: fl.taskRouter,
    })
    const handleFetch = (req: Request) =>
      fetchRequestHandler({ endpoint: '/trpc', req, router, createContext: fl.createContext(), ...fl.adapter() })
    return {
      config,
      fl,
      log,
      reports,
      handleFetch,
      throwing(make: () => unknown) {
        current = make
      },
    }
  }
  const apps = CONFIGS.filter((c) => c.expose === 'safe').map(buildTasksApp)

  test(
    'a failing task records one valid envelope, one failure, one log line and one report, and leaks no secret',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat(apps.length - 1),
          fc.constantFrom(...MODES),
          thrownSpec,
          secretArb,
          async (appIndex, mode, spec, secret) => {
            const app = apps[appIndex] as (typeof apps)[number]
            const { config } = app
            app.throwing(() => build(spec, secret))
            const encode = (v: unknown) => JSON.stringify(config.superjson ? superjson.serialize(v) : v)
            const decode = (v: unknown) => (config.superjson ? superjson.deserialize(v as never) : v)
            const res = await app.handleFetch(
              new Request('http://fuzz.test/trpc/enqueue', {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: encode({ token: secret, mode }),
              }),
            )
            assert.equal(res.status, 200)
            const taskId = decode(((await res.json()) as { result: { data: unknown } }).result.data) as string
            const linesBefore = app.log.lines.length
            const reportsBefore = app.reports.length
            const drained = await app.fl.tasks.drain({ timeoutMs: 10_000 })
            assert.deepEqual(drained.interrupted, [])

            const record = await app.fl.tasks.status(taskId)
            assert.equal(record?.status, 'failed')
            const parsed = parseEnvelope(record?.error)
            if (!parsed.ok) throw new Error(`not an envelope: ${parsed.reason}`)
            const envelope = parsed.envelope
            assert.ok(CATALOG_CODES.includes(envelope.code as never), `${envelope.code} is a catalog code`)
            assert.equal(envelope.status, statusOf(envelope.code))
            assert.equal(envelope.retry.retryable, getDefinition(errors, envelope.code)?.retryable)
            const expected = expectedCode(spec, { superjson: config.superjson })
            if (expected !== undefined) assert.equal(envelope.code, expected)
            assert.equal(envelope.debug, undefined)

            const failures = app.fl.tasks.failures().filter((f) => f.taskId === taskId)
            assert.equal(failures.length, 1)
            assert.equal(failures[0]?.envelope, record?.error)
            const lines = app.log.lines.slice(linesBefore)
            const reports = app.reports.slice(reportsBefore)
            assert.equal(lines.length, 1)
            assert.equal(reports.length, 1)
            assert.deepEqual(
              [lines[0]?.obj.code, lines[0]?.obj.taskId, lines[0]?.obj.source],
              [envelope.code, taskId, 'task'],
            )
            const report = reports[0]
            assert.deepEqual(
              [report?.code, report?.taskId, report?.source, report?.attempt],
              [envelope.code, taskId, 'task', 1],
            )

            // the status a client fetches: a valid response body without the secret
            const statusRes = await app.handleFetch(
              new Request(`http://fuzz.test/trpc/tasks.status?input=${encodeURIComponent(encode({ id: taskId }))}`),
            )
            assert.equal(statusRes.status, 200)
            const text = await statusRes.text()
            assert.ok(!text.includes(secret), `the task status leaks the secret: ${text.slice(0, 2000)}`)
            for (const [name, value] of statusRes.headers)
              assert.ok(!value.includes(secret), `${name} leaks the secret`)
            const fetched = decode((JSON.parse(text) as { result: { data: unknown } }).result.data) as {
              error: unknown
            }
            assert.ok(parseEnvelope(fetched.error).ok, 'the fetched task error is an envelope')
          },
        ),
        { numRuns: runs(0.25) },
      )
    },
    timeout(0.25),
  )
})

// Regressions the properties above found, each named after the behaviour that broke.
describe('regressions found by fuzzing', () => {
  const boom = (): never => {
    throw new Error('trap SECRET_regression')
  }
  const trapAll = (): ProxyHandler<object> => ({
    get: boom,
    has: boom,
    ownKeys: boom,
    getPrototypeOf: boom,
    getOwnPropertyDescriptor: boom,
  })
  const BRAND = Symbol.for('faultline.error')

  function instance() {
    const log = memoryLogger()
    const reports: ReportEvent[] = []
    const fl = createFaultline({ errors, expose: 'safe', logger: log.logger, report: (e) => void reports.push(e) })
    return { fl, log, reports }
  }

  test('a Proxy that throws on every trap, thrown outside tRPC (a task, toEnvelope), is one INTERNAL failure with its report', () => {
    const { fl, log, reports } = instance()
    const envelope = fl.toEnvelope(new Proxy({}, trapAll()))
    expect(envelope.code).toBe('INTERNAL')
    expect(log.lines).toHaveLength(1)
    expect(log.lines[0]?.obj).toMatchObject({ code: 'INTERNAL', handled: false })
    expect(reports).toHaveLength(1)
  })

  test('validation issues that cannot be read (a trapping Proxy list or path) are ignored, never a formatting failure', () => {
    const { fl, log, reports } = instance()
    const unreadableList = new TRPCError({ code: 'BAD_REQUEST', cause: { issues: new Proxy([], trapAll()) } as never })
    expect(fl.toEnvelope(unreadableList)).toMatchObject({ code: 'BAD_REQUEST', status: 400 })
    const unreadablePath = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      message: 'Output validation failed',
      cause: { issues: [{ message: 'bad', path: new Proxy([1], trapAll()) }] } as never,
    })
    expect(fl.toEnvelope(unreadablePath).code).toBe('INTERNAL')
    expect(log.lines.map((l) => l.obj.code)).toEqual(['BAD_REQUEST', 'INTERNAL'])
    expect(reports).toHaveLength(2)
  })

  test('a branded catalog error with a hostile code, headers or retry delay is classified without throwing', () => {
    const { fl, log, reports } = instance()
    const hostileCode = { [BRAND]: true, code: new Proxy({}, trapAll()), message: 'x' }
    expect(fl.toEnvelope(hostileCode).code).toBe('INTERNAL')
    const throwingToString = { [BRAND]: true, code: { toString: boom }, message: 'x' }
    expect(fl.toEnvelope(throwingToString).code).toBe('INTERNAL')
    const hostileHeaders = { [BRAND]: true, code: 'NOT_FOUND', message: 'Gone', headers: new Proxy({}, trapAll()) }
    expect(fl.toProblem(hostileHeaders)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } })
    const throwingDelay = { [BRAND]: true, code: 'RATE_LIMITED', message: 'Slow down' }
    Object.defineProperty(throwingDelay, 'retryAfterMs', { get: boom })
    expect(fl.toEnvelope(throwingDelay)).toMatchObject({ code: 'RATE_LIMITED', retry: { retryable: true } })
    expect(log.lines.map((l) => l.obj.code)).toEqual(['INTERNAL', 'INTERNAL', 'NOT_FOUND', 'RATE_LIMITED'])
    expect(reports).toHaveLength(4)
  })

  test('a retry delay beyond the safe integers is dropped, never written as Retry-After: 1e+305', () => {
    const { fl } = instance()
    const huge = fl.toProblem(errors.RATE_LIMITED({ retryAfterMs: 1e308 }))
    expect(huge.headers).not.toHaveProperty('retry-after')
    expect(huge.body.retry).toEqual({ retryable: true })
    const long = fl.toProblem(errors.RATE_LIMITED({ retryAfterMs: Number.MAX_SAFE_INTEGER }))
    expect(long.headers['retry-after']).toBe('9007199254741')
  })

  /** A fetch app whose procedure and context factory throw whatever `thrown` holds. */
  function sharedApp(thrown: { value: unknown }) {
    const log = memoryLogger()
    const reports: ReportEvent[] = []
    const fl = createFaultline({ errors, expose: 'debug', logger: log.logger, report: (e) => void reports.push(e) })
    const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
    const router = t.router({
      boom: t.procedure.input(z.unknown()).query(() => {
        throw thrown.value
      }),
      context: t.procedure.query(() => 'unreachable'),
    })
    const createContext = fl.createContext((opts: { info: { calls: readonly { path: string }[] } }) => {
      if (opts.info.calls.some((c) => c.path === 'context')) throw thrown.value
      return {}
    })
    const call = async (path: string, who: string, requestId?: string) => {
      const input = encodeURIComponent(JSON.stringify({ who }))
      const res = await fetchRequestHandler({
        endpoint: '/trpc',
        req: new Request(`http://x/trpc/${path}?input=${input}`, {
          headers: requestId ? { 'x-request-id': requestId } : {},
        }),
        router,
        createContext,
        ...fl.adapter(),
      })
      const body = (await res.json()) as {
        error: { data: { error: { requestId: string; debug?: { input?: unknown } } } }
      }
      return { header: res.headers.get('x-request-id'), envelope: body.error.data.error }
    }
    return { call, log, reports }
  }

  test('a shared TRPCError thrown by requests that repeat one x-request-id is resolved, logged and reported for each', async () => {
    const { call, log, reports } = sharedApp({ value: new TRPCError({ code: 'NOT_FOUND' }) })
    const first = await call('boom', 'first', 'client-retry')
    const second = await call('boom', 'second', 'client-retry')
    expect(first.envelope.debug?.input).toEqual({ who: 'first' })
    expect(second.envelope.debug?.input).toEqual({ who: 'second' })
    expect(log.lines).toHaveLength(2)
    expect(reports).toHaveLength(2)
  })

  test('a shared TRPCError thrown by concurrent requests is logged once per request, not once per hook', async () => {
    const { call, log, reports } = sharedApp({ value: new TRPCError({ code: 'NOT_FOUND' }) })
    const answers = await Promise.all([call('boom', 'a', 'id-a'), call('boom', 'b', 'id-b'), call('boom', 'c', 'id-c')])
    expect(answers.map((a) => a.envelope.requestId)).toEqual(['id-a', 'id-b', 'id-c'])
    expect(log.lines.map((l) => l.obj.requestId).sort()).toEqual(['id-a', 'id-b', 'id-c'])
    expect(reports).toHaveLength(3)
  })

  test('a shared error thrown by createContext answers each request under its own request id', async () => {
    const constant = sharedApp({ value: new TRPCError({ code: 'UNAUTHORIZED' }) })
    const one = await constant.call('context', 'one', 'id-1')
    const two = await constant.call('context', 'two', 'id-2')
    const three = await constant.call('context', 'three')
    expect([one.header, two.header]).toEqual(['id-1', 'id-2'])
    expect(three.header).toMatch(/^req_/)
    expect([one.envelope.requestId, two.envelope.requestId, three.envelope.requestId]).toEqual([
      one.header,
      two.header,
      three.header,
    ])
    expect(constant.log.lines.map((l) => l.obj.requestId)).toEqual([one.header, two.header, three.header])

    // concurrent requests failing with one plain Error: each keeps the id it was given
    const plain = sharedApp({ value: new Error('auth backend down') })
    const answers = await Promise.all(['id-x', 'id-y', 'id-z'].map((id) => plain.call('context', id, id)))
    expect(answers.map((a) => a.header)).toEqual(['id-x', 'id-y', 'id-z'])
    expect(answers.map((a) => a.envelope.requestId)).toEqual(['id-x', 'id-y', 'id-z'])
    expect(plain.reports.map((r) => r.requestId).sort()).toEqual(['id-x', 'id-y', 'id-z'])
  })

  test('a catalog error whose data cannot be serialized is INTERNAL without a declared flag, declared or not', async () => {
    const { fl, log } = instance()
    const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter })
    const quota = () => {
      throw errors.QUOTA_EXCEEDED({ limit: 1n })
    }
    const router = t.router({
      declared: t.procedure.errors(fl.declare('QUOTA_EXCEEDED')).query(quota),
      undeclared: t.procedure.errors(fl.declare('USER_NOT_FOUND')).query(quota),
    })
    for (const path of ['declared', 'undeclared']) {
      const res = await fetchRequestHandler({
        endpoint: '/trpc',
        req: new Request(`http://x/trpc/${path}`),
        router,
        createContext: fl.createContext(),
        ...fl.adapter(),
      })
      const envelope = ((await res.json()) as { error: { data: { error: Record<string, unknown> } } }).error.data.error
      expect(res.status).toBe(500)
      expect(envelope.code).toBe('INTERNAL')
      expect(envelope).not.toHaveProperty('declared')
    }
    expect(log.lines.map((l) => l.obj.code)).toEqual(['INTERNAL', 'INTERNAL'])
  })
})
