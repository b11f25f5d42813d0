import { afterEach, expect, test, vi } from 'vitest'
import { memoryTaskStore, type TaskRecord } from './store'

const record = (id: string, status: TaskRecord['status'], updatedAt: number): TaskRecord => ({
  id,
  task: 't',
  status,
  attempts: 0,
  requestId: undefined,
  createdAt: updatedAt,
  updatedAt,
})

afterEach(() => {
  vi.useRealTimers()
})

test('the store keeps at most maxEntries, dropping the oldest finished records first', () => {
  const store = memoryTaskStore({ maxEntries: 3 })
  store.set(record('a', 'succeeded', 1))
  store.set(record('b', 'running', 2))
  store.set(record('c', 'failed', 3))
  store.set(record('d', 'succeeded', 4))
  expect(store.get('a')).toBeUndefined()
  expect(store.get('b')).toMatchObject({ status: 'running' })
  expect(store.size()).toBe(3)
})

test('finished records older than maxAgeMs are dropped; unfinished ones are kept', () => {
  const store = memoryTaskStore({ maxAgeMs: 1000 })
  store.set(record('old', 'succeeded', 0))
  store.set(record('waiting', 'queued', 0))
  store.set(record('new', 'succeeded', 5000))
  expect(store.get('old')).toBeUndefined()
  expect(store.get('new')).toBeDefined()
})

test('a finished record saved again counts from its latest save', () => {
  const store = memoryTaskStore({ maxEntries: 2 })
  store.set(record('a', 'failed', 1))
  store.set(record('b', 'failed', 2))
  store.set(record('a', 'failed', 3))
  store.set(record('c', 'succeeded', 4))
  expect(store.get('b')).toBeUndefined()
  expect(store.get('a')).toMatchObject({ updatedAt: 3 })
  expect(store.get('c')).toBeDefined()
})

test('a record deleted and saved again as unfinished is never dropped for its old finished copy', () => {
  const store = memoryTaskStore({ maxEntries: 1 })
  store.set(record('a', 'succeeded', 1))
  store.delete('a')
  store.set(record('a', 'running', 2))
  store.set(record('b', 'succeeded', 3))
  expect(store.get('a')).toMatchObject({ status: 'running' })
  expect(store.get('b')).toBeUndefined()
  expect(store.size()).toBe(1)
})

test('an old unfinished record does not keep older finished ones from being dropped', () => {
  const store = memoryTaskStore({ maxAgeMs: 1000 })
  store.set(record('stuck', 'running', 0))
  store.set(record('done', 'succeeded', 10))
  store.set(record('now', 'queued', 5000))
  expect(store.get('done')).toBeUndefined()
  expect(store.get('stuck')).toBeDefined()
})

test('bounded under churn: many saves keep the newest finished records and every unfinished one', () => {
  const store = memoryTaskStore({ maxEntries: 100 })
  for (let i = 0; i < 5000; i++) {
    store.set(record(`t${i}`, 'queued', i))
    store.set(record(`t${i}`, 'running', i))
    if (i % 1000 !== 0) store.set(record(`t${i}`, 'succeeded', i))
  }
  // the five never finished are kept however old; the rest are the newest finished ones
  expect(store.size()).toBe(100)
  for (const i of [0, 1000, 2000, 3000, 4000]) expect(store.get(`t${i}`)?.status).toBe('running')
  expect(store.get('t4999')).toBeDefined()
  expect(store.get('t4904')).toBeUndefined()
  expect(store.get('t4905')).toBeDefined()
})

test('records are copies: changing one after saving does not change the store', () => {
  const store = memoryTaskStore()
  const r = record('a', 'queued', 1)
  store.set(r)
  r.status = 'failed'
  expect(store.get('a')?.status).toBe('queued')
})

test('bad limits are refused', () => {
  expect(() => memoryTaskStore({ maxEntries: 0 })).toThrow(/must be positive/)
})
