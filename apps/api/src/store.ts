import { randomUUID } from 'node:crypto'

export interface Order {
  id: string
  sku: string
  quantity: number
  email: string
  status: 'pending' | 'paid'
  createdAt: Date
}

const STOCK: Record<string, number> = { 'sku-mug': 12, 'sku-tee': 3, 'sku-poster': 0 }

/** An in-memory order store: no setup, gone on restart. */
export function createStore() {
  const orders = new Map<string, Order>()
  const listeners = new Map<string, Set<(order: Order) => void>>()
  const changed = (order: Order) => {
    for (const listener of listeners.get(order.id) ?? []) listener({ ...order })
  }
  return {
    /** Calls `listener` with each change of an order; returns a function that stops it. */
    onChange(id: string, listener: (order: Order) => void) {
      const set = listeners.get(id) ?? new Set()
      set.add(listener)
      listeners.set(id, set)
      return () => set.delete(listener)
    },
    stock: (sku: string) => STOCK[sku] ?? 0,
    create(input: Omit<Order, 'id' | 'status' | 'createdAt'>): Order {
      const order: Order = { ...input, id: `ord_${randomUUID().slice(0, 8)}`, status: 'pending', createdAt: new Date() }
      orders.set(order.id, order)
      return order
    },
    get: (id: string) => orders.get(id),
    markPaid(id: string) {
      const order = orders.get(id)
      if (order) {
        order.status = 'paid'
        changed(order)
      }
      return order
    },
  }
}

export type Store = ReturnType<typeof createStore>
