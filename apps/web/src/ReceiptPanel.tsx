import { isFaultlineError, taskError } from '@faultline/client'
import { useQuery } from '@tanstack/react-query'
import { ErrorBanner } from './ErrorBanner'
import { useTRPC } from './trpc'

const FINISHED = new Set(['succeeded', 'failed', 'interrupted'])

/** Follows the order's receipt task, which runs after the response; shows its typed failure. */
export function ReceiptPanel({ orderId, taskId }: { orderId: string; taskId: string }) {
  const trpc = useTRPC()
  const task = useQuery({
    ...trpc.tasks.status.queryOptions({ id: taskId }),
    refetchInterval: (query) => (query.state.data && FINISHED.has(query.state.data.status) ? false : 250),
  })
  const record = task.data
  const failure =
    record && (record.status === 'failed' || record.status === 'interrupted') ? taskError(record) : undefined
  return (
    <section className="card" aria-label="Receipt">
      <h2>Order {orderId}</h2>
      {task.error && <ErrorBanner error={task.error} />}
      {failure ? (
        <ErrorBanner error={failure}>
          {isFaultlineError(failure, 'RECEIPT_BOUNCED') ? `The receipt to ${failure.details.email} bounced` : undefined}
        </ErrorBanner>
      ) : (
        <p data-testid="receipt-status">Receipt: {record?.status ?? 'checking…'}</p>
      )}
    </section>
  )
}
