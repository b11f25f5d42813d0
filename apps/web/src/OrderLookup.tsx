import { isFaultlineError } from '@faultline/client'
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import { ErrorBanner } from './ErrorBanner'
import { useTRPC } from './trpc'

/** Opens an order by id; a missing one shows ORDER_NOT_FOUND with the id it looked for. */
export function OrderLookup() {
  const trpc = useTRPC()
  const [id, setId] = useState('')
  const [opened, setOpened] = useState<string>()
  const [summaryFor, setSummaryFor] = useState<string>()
  const order = useQuery({ ...trpc.order.byId.queryOptions({ id: opened ?? '' }), enabled: opened !== undefined })
  const summary = useQuery({
    ...trpc.orderSummary.queryOptions({ id: summaryFor ?? '' }),
    enabled: summaryFor !== undefined,
  })

  return (
    <section className="card" aria-label="Find an order">
      <h2>Find an order</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault()
          setOpened(id)
          setSummaryFor(undefined)
        }}
      >
        <input name="order-id" value={id} onChange={(e) => setId(e.target.value)} placeholder="ord_…" />
        <button type="submit">Open</button>
      </form>
      {order.error && (
        <ErrorBanner error={order.error}>
          {isFaultlineError(order.error, 'ORDER_NOT_FOUND') ? `No order ${order.error.details.orderId}` : undefined}
        </ErrorBanner>
      )}
      {order.data && (
        <div data-testid="order">
          <p>
            {order.data.quantity} × {order.data.sku} for {order.data.email}: <strong>{order.data.status}</strong>
          </p>
          <button type="button" onClick={() => setSummaryFor(order.data.id)}>
            Show summary (has a deliberate bug)
          </button>
        </div>
      )}
      {summary.error && <ErrorBanner error={summary.error} />}
    </section>
  )
}
