import { FaultlineClientError } from '@faultline/client'
import type { ReactNode } from 'react'

/** Shows any failure the way a support request needs it: code, message and request id. */
export function ErrorBanner({ error, children }: { error: unknown; children?: ReactNode }) {
  const err = FaultlineClientError.from(error)
  return (
    <div className="banner" role="alert" data-testid="error-banner" data-code={err.code}>
      <code className="code">{err.code}</code>
      <span className="message">{children ?? err.message}</span>
      {err.requestId && (
        <small className="request">
          request <code data-testid="request-id">{err.requestId}</code>
        </small>
      )}
    </div>
  )
}
