// @vitest-environment happy-dom
// The page's components against @faultline/msw mocks answered by the example
// API's own router: validation, declarations and envelopes are the real ones.

import { errors } from '@faultline/example-api/errors'
import { createApi } from '@faultline/example-api/router'
import { createFaultlineMsw } from '@faultline/msw'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { setupServer } from 'msw/node'
import type { ReactNode } from 'react'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { OrderForm } from './OrderForm'
import { OrderLookup } from './OrderLookup'
import { ReceiptPanel } from './ReceiptPanel'
import { StockCheck } from './StockCheck'
import { createClient, TRPCProvider } from './trpc'

const URL = 'http://localhost:3000/trpc'
const { fl, router } = createApi({ logger: false, expose: 'safe' })
const kit = createFaultlineMsw({ router, faultline: fl, url: URL })
const server = setupServer(...kit.handlers)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  cleanup()
  kit.assertAllMocked()
  kit.reset()
})
afterAll(() => server.close())

function renderPage(ui: ReactNode) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  return render(
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={createClient(URL)} queryClient={queryClient}>
        {ui}
      </TRPCProvider>
    </QueryClientProvider>,
  )
}

test('the order form puts each validation error next to its input', async () => {
  kit.mock.order.create.mutation(() => {
    throw new Error('not reached: the input is invalid')
  })
  renderPage(<OrderForm onPlaced={() => {}} />)
  fireEvent.change(screen.getByPlaceholderText('you@example.com'), { target: { value: 'nope' } })
  fireEvent.click(screen.getByRole('button', { name: 'Place order' }))
  expect((await screen.findByTestId('field-error-email')).textContent).toBe('Enter a valid email address')
  expect(screen.queryByTestId('error-banner')).toBeNull()
})

test('an out-of-stock order shows a banner built from the typed data', async () => {
  kit.mock.order.create.mutation(errors.OUT_OF_STOCK({ sku: 'sku-poster', available: 0 }))
  renderPage(<OrderForm onPlaced={() => {}} />)
  fireEvent.change(screen.getByPlaceholderText('you@example.com'), { target: { value: 'ada@example.com' } })
  fireEvent.click(screen.getByRole('button', { name: 'Place order' }))
  const banner = await screen.findByTestId('error-banner')
  expect(banner.dataset.code).toBe('OUT_OF_STOCK')
  expect(banner.querySelector('.message')?.textContent).toBe('Only 0 left of sku-poster')
})

test('a missing order shows its id and the request id', async () => {
  kit.mock.order.byId.query(errors.ORDER_NOT_FOUND({ orderId: 'ord_x' }))
  renderPage(<OrderLookup />)
  fireEvent.change(screen.getByPlaceholderText('ord_…'), { target: { value: 'ord_x' } })
  fireEvent.click(screen.getByRole('button', { name: 'Open' }))
  const banner = await screen.findByTestId('error-banner')
  expect(banner.querySelector('.message')?.textContent).toBe('No order ord_x')
  expect(screen.getByTestId('request-id').textContent).toMatch(/^req_/)
})

test("the receipt panel shows a failed task's typed error", async () => {
  const error = fl.toEnvelope(errors.RECEIPT_BOUNCED({ email: 'ada@bounce.test' }))
  kit.mock.tasks.status.query(({ input }) => ({
    id: input.id,
    task: 'send-receipt',
    status: 'failed',
    attempts: 1,
    requestId: 'req_1',
    createdAt: 0,
    updatedAt: 1,
    error,
  }))
  renderPage(<ReceiptPanel orderId="ord_1" taskId="task_1" />)
  const banner = await screen.findByTestId('error-banner')
  expect(banner.dataset.code).toBe('RECEIPT_BOUNCED')
  expect(banner.querySelector('.message')?.textContent).toBe('The receipt to ada@bounce.test bounced')
})

test('a rate-limited check counts down retry.afterMs', async () => {
  kit.mock.stock.query(errors.RATE_LIMITED({ retryAfterMs: 4_000 }))
  renderPage(<StockCheck />)
  fireEvent.click(screen.getByRole('button', { name: 'Check stock' }))
  expect((await screen.findByTestId('countdown')).textContent).toBe('Retrying in 4 s')
  expect(screen.getByRole('button', { name: 'Check stock' })).toHaveProperty('disabled', true)
})
