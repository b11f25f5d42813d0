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
