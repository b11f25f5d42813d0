import { type FaultlineClientError, isFaultlineError, safe } from '@faultline/client'
import { useCallback, useEffect, useState } from 'react'
import { ErrorBanner } from './ErrorBanner'
import { useTRPCClient } from './trpc'

/** A rate-limited call: on RATE_LIMITED it counts down `retry.afterMs`, then tries again by itself. */
export function StockCheck() {
  const client = useTRPCClient()
  const [answer, setAnswer] = useState<string>()
  const [error, setError] = useState<FaultlineClientError>()
  const [retryAt, setRetryAt] = useState<number>()
  const [now, setNow] = useState(() => Date.now())

  const check = useCallback(async () => {
    const [stock, err] = await safe(client.stock.query({ sku: 'sku-mug' }))
    if (!err) {
      setError(undefined)
      setRetryAt(undefined)
      setAnswer(`${stock.available} mugs in stock`)
      return
    }
    setError(err)
    if (isFaultlineError(err, 'RATE_LIMITED') && err.retry.afterMs !== undefined) {
      // start the clock now, or the first second shown is measured from a stale time
      const start = Date.now()
      setNow(start)
      setRetryAt(start + err.retry.afterMs)
    }
  }, [client])

  useEffect(() => {
    if (retryAt === undefined) return
    const timer = setInterval(() => {
      setNow(Date.now())
      if (Date.now() >= retryAt) {
        clearInterval(timer)
        setRetryAt(undefined)
        void check()
      }
    }, 100)
    return () => clearInterval(timer)
  }, [retryAt, check])

  const waiting = retryAt !== undefined
  return (
    <section className="card" aria-label="Check stock">
      <h2>Check stock</h2>
      <p className="hint">Three checks per ten seconds; the fourth is rate limited.</p>
      <button type="button" onClick={() => void check()} disabled={waiting}>
        Check stock
      </button>
      {answer && !error && <p data-testid="stock">{answer}</p>}
      {error && <ErrorBanner error={error} />}
      {waiting && <p data-testid="countdown">Retrying in {Math.max(0, Math.ceil((retryAt - now) / 1000))} s</p>}
    </section>
  )
}
