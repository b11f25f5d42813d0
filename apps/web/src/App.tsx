import { useState } from 'react'
import { OrderForm } from './OrderForm'
import { OrderLookup } from './OrderLookup'
import { ReceiptPanel } from './ReceiptPanel'
import { StockCheck } from './StockCheck'

/** The example page: each panel shows one kind of typed failure as a user meets it. */
export function App() {
  const [placed, setPlaced] = useState<{ orderId: string; receiptTaskId: string }>()
  return (
    <main>
      <header>
        <h1>Faultline orders</h1>
        <p>
          Every failure below is a typed error from one contract. Try an invalid email, a missing order, an address at{' '}
          <code>bounce.test</code>, or four stock checks in a row.
        </p>
      </header>
      <div className="grid">
        <OrderForm onPlaced={setPlaced} />
        {placed && <ReceiptPanel key={placed.receiptTaskId} orderId={placed.orderId} taskId={placed.receiptTaskId} />}
        <OrderLookup />
        <StockCheck />
      </div>
    </main>
  )
}
