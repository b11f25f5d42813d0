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
  return {
    stock: (sku: string) => STOCK[sku] ?? 0,
    create(input: Omit<Order, 'id' | 'status' | 'createdAt'>): Order {
      const order: Order = { ...input, id: `ord_${randomUUID().slice(0, 8)}`, status: 'pending', createdAt: new Date() }
      orders.set(order.id, order)
      return order
    },
    get: (id: string) => orders.get(id),
    markPaid(id: string) {
      const order = orders.get(id)
      if (order) order.status = 'paid'
      return order
    },
  }
}

export type Store = ReturnType<typeof createStore>
