// The pieces around a failure can fail too: the logger, the report hook, error handlers, the
// app's own adapter hooks, the transformer, the task store. Each time the request still gets a
// valid envelope, nothing escapes the process, and the fault is counted by fl.faults() and
// printed once on stderr.
import { parseEnvelope } from '@faultline/contract'
import {
  createFaultline,
  defineTask,
  type FaultlineOptions,
  handle,
  type ReportEvent,
  type TaskStore,
} from '@faultline/server'
import { initTRPC } from '@trpc/server'
import { createHTTPServer } from '@trpc/server/adapters/standalone'
import superjson from 'superjson'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { plainJson } from './fixtures/app'
import { errors } from './fixtures/catalog'
import { rawMutation, rawQuery } from './fixtures/http'
import { listen } from './fixtures/listen'
import { memoryLogger } from './fixtures/logger'

class LegacyError extends Error {}

let runs = 0
const work = defineTask({
  name: 'work',
  run: () => {
    runs++
  },
})

type Transformer = { serialize(value: unknown): unknown; deserialize(value: unknown): unknown }

function build(
  opts: Partial<FaultlineOptions<typeof errors>> & {
    transformer?: Transformer
    store?: TaskStore
    onError?: () => void
    responseMeta?: () => undefined
  } = {},
) {
  const { transformer = plainJson, store, onError, responseMeta, ...rest } = opts
  const fl = createFaultline({
    errors,
    expose: 'safe',
    transformer,
    background: { tasks: [work], ...(store ? { store } : {}) },
    ...rest,
  })
  const t = initTRPC.context<{ requestId: string }>().create({ errorFormatter: fl.errorFormatter, transformer })
  const router = t.router({
    ok: t.procedure.query(() => 'fine'),
    crash: t.procedure.query(() => {
      throw new Error('db password=hunter2 rejected')
    }),
    missing: t.procedure.query(() => {
      throw errors.USER_NOT_FOUND({ userId: 'u_1' })
    }),
    legacy: t.procedure.query(() => {
      throw new LegacyError('legacy failure')
    }),
    audit: t.procedure.query(() => {
      throw errors.AUDIT_FAILED({ at: new Date(0), tags: new Map([['a', 1]]) })
    }),
    order: t.procedure.concat(fl.background).mutation(({ ctx }) => ({ taskId: ctx.background.enqueue('work') })),
    // a watcher that throws at every change of the task it watches
    watched: t.procedure.concat(fl.background).mutation(({ ctx }) => {
      const taskId = ctx.background.enqueue('work')
      fl.tasks.watch(taskId, () => {
        throw new Error('dashboard socket closed')
      })
      return { taskId }
    }),
  })
  const server = createHTTPServer({
    router,
    createContext: fl.createContext(),
    ...fl.adapter({ ...(onError ? { onError } : {}), ...(responseMeta ? { responseMeta } : {}) }),
  })
  return { fl, server }
}

let app: (ReturnType<typeof build> & Awaited<ReturnType<typeof listen>>) | undefined
async function start(opts: Parameters<typeof build>[0] = {}) {
  const built = build(opts)
  app = { ...built, ...(await listen(built.server)) }
  return app
}

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
let stderr: { mock: { calls: unknown[][] }; mockRestore(): void }
const printed = () => stderr.mock.calls.map(([chunk]) => String(chunk)).filter((l) => l.startsWith('faultline: '))

beforeEach(() => {
  runs = 0
  unhandled.length = 0
  process.on('unhandledRejection', onUnhandled)
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
})
afterEach(async () => {
  stderr.mockRestore()
  await app?.close()
  app = undefined
  process.off('unhandledRejection', onUnhandled)
  // nothing escaped, whatever the test did
  expect(unhandled).toEqual([])
})

/** A query answered with a valid envelope of `code`, whose status is the HTTP status. */
async function expectEnvelope(url: string, path: string, code: string, transformer: Transformer = plainJson) {
  const res = await rawQuery(url, path)
  const shape = transformer.deserialize(res.json.error) as { data: { error: unknown } }
  const parsed = parseEnvelope(shape.data.error)
  if (!parsed.ok) throw new Error(`${path}: ${parsed.reason}`)
  expect(parsed.envelope.code).toBe(code)
  expect(parsed.envelope.status).toBe(res.status)
  expect(res.headers.get('x-request-id')).toBe(parsed.envelope.requestId)
  return parsed.envelope
}

const noFaults = { logger: 0, report: 0, handler: 0, hook: 0, transformer: 0, tasks: 0, reportsPending: 0 }

describe('a logger that throws', () => {
  test('every failure still gets its envelope; each throw is counted and the first is printed once', async () => {
    const boom = () => {
      throw new Error('log shipper down')
    }
    const { url, fl } = await start({ logger: { info: boom, warn: boom, error: boom } })
    await expectEnvelope(url, 'crash', 'INTERNAL')
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND')
    await expectEnvelope(url, 'crash', 'INTERNAL')
    expect(fl.faults()).toEqual({ ...noFaults, logger: 3 })
    expect(printed()).toEqual([
      expect.stringMatching(
        /^faultline: the logger threw \(Error: log shipper down\); counted by fl\.faults\(\)\.logger/,
      ),
    ])
    expect((await rawQuery(url, 'ok')).json.result.data).toBe('fine')
  })
})

describe('a report hook that fails', () => {
  test('one that throws: the envelope goes out, the fault is logged and counted', async () => {
    const log = memoryLogger()
    const { url, fl } = await start({
      logger: log.logger,
      report: () => {
        throw new Error('sentry down')
      },
    })
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND')
    await expectEnvelope(url, 'crash', 'INTERNAL')
    expect(fl.faults()).toEqual({ ...noFaults, report: 2 })
    expect(log.lines.filter((l) => l.msg === 'faultline: the report hook failed')).toHaveLength(2)
    expect(printed()).toEqual([expect.stringMatching(/^faultline: the report hook failed \(Error: sentry down\)/)])
  })

  test('one that rejects: counted once its promise rejects, never an unhandled rejection', async () => {
    const { url, fl } = await start({ logger: false, report: () => Promise.reject(new Error('otel down')) })
    await expectEnvelope(url, 'crash', 'INTERNAL')
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND')
    await vi.waitFor(() => expect(fl.faults().report).toBe(2))
    expect(fl.faults().reportsPending).toBe(0)
  })

  test('one that never settles: requests are answered all the same, and the pending reports are visible', async () => {
    const calls: ReportEvent[] = []
    const { url, fl } = await start({
      logger: false,
      report: (event) => {
        calls.push(event)
        return new Promise<void>(() => {})
      },
    })
    for (let i = 0; i < 5; i++)
      await expectEnvelope(url, i % 2 ? 'missing' : 'crash', i % 2 ? 'USER_NOT_FOUND' : 'INTERNAL')
    expect(calls).toHaveLength(5)
    expect(fl.faults()).toEqual({ ...noFaults, reportsPending: 5 })
    expect((await rawQuery(url, 'ok')).json.result.data).toBe('fine')
  })
})

describe('error handlers that fail', () => {
  test('a handler that throws: INTERNAL, the reason in the log line, counted', async () => {
    const log = memoryLogger()
    const { url, fl } = await start({
      logger: log.logger,
      handlers: [
        handle(LegacyError, () => {
          throw new TypeError('mapping table missing')
        }),
      ],
    })
    const envelope = await expectEnvelope(url, 'legacy', 'INTERNAL')
    expect(envelope.message).toBe('Internal server error')
    expect(log.lines[0]?.obj.reason).toBe('the handler for LegacyError threw: mapping table missing')
    expect(fl.faults()).toEqual({ ...noFaults, handler: 1 })
    expect(printed()).toEqual([expect.stringMatching(/^faultline: an error handler failed \(TypeError: mapping table/)])
  })

  test('a handler that returns something other than a catalog error is a handler fault too', async () => {
    const { url, fl } = await start({
      logger: false,
      handlers: [handle(LegacyError, () => new Error('not a catalog error') as never)],
    })
    await expectEnvelope(url, 'legacy', 'INTERNAL')
    expect(fl.faults().handler).toBe(1)
  })

  test("the app's own onError that throws: the request is answered and the process keeps serving", async () => {
    // unguarded, tRPC's node adapter would leave this request open and reject unhandled
    const log = memoryLogger()
    const { url, fl } = await start({
      logger: log.logger,
      onError: () => {
        throw new Error('alerting webhook down')
      },
    })
    await expectEnvelope(url, 'crash', 'INTERNAL')
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND')
    expect(fl.faults()).toEqual({ ...noFaults, hook: 2 })
    expect(log.lines.filter((l) => l.msg === "faultline: the app's onError threw")).toHaveLength(2)
    expect((await rawQuery(url, 'ok')).json.result.data).toBe('fine')
  })

  test("the app's own responseMeta that throws: the request is answered with Faultline's headers, counted", async () => {
    const log = memoryLogger()
    const { url, fl } = await start({
      logger: log.logger,
      responseMeta: () => {
        throw new Error('cache header service down')
      },
    })
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND')
    const ok = await rawQuery(url, 'ok')
    expect(ok.json.result.data).toBe('fine')
    expect(ok.headers.get('x-request-id')).toMatch(/^req_/)
    expect(fl.faults()).toEqual({ ...noFaults, hook: 2 })
    expect(log.lines.filter((l) => l.msg === "faultline: the app's responseMeta threw")).toHaveLength(2)
  })

  test('a traceId hook that throws: the envelope goes out without a trace id, counted', async () => {
    const { url, fl } = await start({
      logger: false,
      traceId: () => {
        throw new Error('no tracer')
      },
    })
    const envelope = await expectEnvelope(url, 'crash', 'INTERNAL')
    expect(envelope.traceId).toBeUndefined()
    expect(fl.faults().hook).toBe(1)
  })
})

describe('a transformer that throws', () => {
  const refusesMaps: Transformer = {
    serialize(value) {
      const walk = (v: unknown): void => {
        if (v instanceof Map) throw new TypeError('this transformer cannot carry a Map')
        if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x)
      }
      walk(value)
      return superjson.serialize(value)
    },
    deserialize: (value) => superjson.deserialize(value as never),
  }

  test('on error data: the error degrades to INTERNAL without its data, counted as a transformer fault', async () => {
    const log = memoryLogger()
    const { url, fl } = await start({ logger: log.logger, transformer: refusesMaps })
    const envelope = await expectEnvelope(url, 'audit', 'INTERNAL', refusesMaps)
    expect(envelope.data).toBeUndefined()
    expect(log.lines[0]?.obj.reason).toBe(
      'the data of AUDIT_FAILED cannot be serialized: this transformer cannot carry a Map',
    )
    expect(fl.faults()).toEqual({ ...noFaults, transformer: 1 })
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND', refusesMaps)
    expect(fl.faults().transformer).toBe(1)
  })

  test('plain JSON error data is serialized once, by tRPC; other data is tried first, so a refusal degrades only that error', async () => {
    let calls = 0
    const counting: Transformer = {
      serialize: (value) => {
        calls++
        return superjson.serialize(value)
      },
      deserialize: (value) => superjson.deserialize(value as never),
    }
    const { url } = await start({ logger: false, transformer: counting })
    let before = calls
    await expectEnvelope(url, 'missing', 'USER_NOT_FOUND', counting)
    expect(calls - before).toBe(1)
    before = calls
    await expectEnvelope(url, 'audit', 'AUDIT_FAILED', counting)
    expect(calls - before).toBe(2)
  })

  test('an input debug exposure cannot echo is left out, and is no fault of the transformer', () => {
    const fl = createFaultline({ errors, expose: 'debug', logger: false })
    const envelope = fl.toEnvelope(new Error('boom'), { input: { amount: 10n } })
    expect(envelope.code).toBe('INTERNAL')
    expect(envelope.debug?.input).toBeUndefined()
    expect(fl.faults().transformer).toBe(0)
    expect(fl.toEnvelope(new Error('boom'), { input: { amount: 10 } }).debug?.input).toEqual({ amount: 10 })
  })

  test('on everything: createFaultline refuses it at startup, since tRPC could answer no request with it', () => {
    // With such a transformer tRPC's node adapter cannot write even its fallback error response: it
    // leaves the request open and its exception handler rejects unhandled, which ends a Node process.
    const broken: Transformer = {
      serialize: () => {
        throw new Error('serializer misconfigured')
      },
      deserialize: (v) => v,
    }
    expect(() => build({ transformer: broken, logger: false })).toThrow(
      /^createFaultline: the transformer cannot serialize a plain error response \(Error: serializer misconfigured\)/,
    )
  })
})

describe('the task machinery failing', () => {
  test('a store that throws on save: the request succeeds, the task still runs, each refusal is logged and counted', async () => {
    const store: TaskStore = {
      get: () => undefined,
      set: () => {
        throw new Error('redis: connection refused')
      },
      delete: () => {},
    }
    const log = memoryLogger()
    const { url, fl } = await start({ logger: log.logger, store })
    const res = await rawMutation(url, 'order', undefined)
    expect(res.status).toBe(200)
    await fl.tasks.drain({ timeoutMs: 5_000 })
    expect(runs).toBe(1)
    const refused = log.lines.filter((l) => l.msg === 'faultline: the task store failed to save a record')
    expect(refused.length).toBeGreaterThan(0)
    expect(fl.faults()).toEqual({ ...noFaults, tasks: refused.length })
    expect(printed()).toEqual([expect.stringMatching(/^faultline: the task store or runner failed \(Error: redis/)])
  })

  test('a watcher that throws does not stop the task: it finishes and its record says so', async () => {
    const { url, fl } = await start({ logger: false })
    const res = await rawMutation(url, 'watched', undefined)
    await fl.tasks.drain({ timeoutMs: 5_000 })
    expect(runs).toBe(1)
    expect(await fl.tasks.status(res.json.result.data.taskId)).toMatchObject({ status: 'succeeded' })
    expect(fl.faults().hook).toBeGreaterThan(0)
    expect(printed()).toEqual([
      expect.stringMatching(/^faultline: an app hook threw \(Error: dashboard socket closed\)/),
    ])
  })
})

test('with nothing broken, no fault is counted and nothing is printed', async () => {
  const { url, fl } = await start({ logger: false, report: () => Promise.resolve() })
  await expectEnvelope(url, 'crash', 'INTERNAL')
  await expectEnvelope(url, 'missing', 'USER_NOT_FOUND')
  await rawMutation(url, 'order', undefined)
  await fl.tasks.drain({ timeoutMs: 5_000 })
  await vi.waitFor(() => expect(fl.faults().reportsPending).toBe(0))
  expect(fl.faults()).toEqual(noFaults)
  expect(printed()).toEqual([])
})
