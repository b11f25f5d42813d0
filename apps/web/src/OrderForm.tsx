import { fieldErrors, isFaultlineError } from '@faultline/client'
import { useMutation } from '@tanstack/react-query'
import { type ReactNode, useState } from 'react'
import { ErrorBanner } from './ErrorBanner'
import { useTRPC } from './trpc'

export const SKUS = [
  ['sku-mug', 'Mug'],
  ['sku-tee', 'T-shirt'],
  ['sku-poster', 'Poster (sold out)'],
] as const

/** A labelled input (given the id `name`) with its field error right below it. */
function Field({
  label,
  name,
  errors,
  children,
}: {
  label: string
  name: string
  errors: string[] | undefined
  children: ReactNode
}) {
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      {children}
      {errors?.[0] && (
        <span className="field-error" data-testid={`field-error-${name}`}>
          {errors[0]}
        </span>
      )}
    </div>
  )
}

/** Places an order; validation errors appear next to their inputs, anything else in a banner. */
export function OrderForm({ onPlaced }: { onPlaced: (placed: { orderId: string; receiptTaskId: string }) => void }) {
  const trpc = useTRPC()
  const [sku, setSku] = useState('sku-mug')
  const [quantity, setQuantity] = useState('1')
  const [email, setEmail] = useState('')
  const create = useMutation(
    trpc.order.create.mutationOptions({
      onSuccess: (placed) => onPlaced({ orderId: placed.order.id, receiptTaskId: placed.receiptTaskId }),
    }),
  )
  const fields = fieldErrors(create.error)
  const other = create.error && !isFaultlineError(create.error, 'VALIDATION_FAILED') ? create.error : undefined

  return (
    <form
      className="card"
      aria-label="Place an order"
      onSubmit={(e) => {
        e.preventDefault()
        create.mutate({ sku, quantity: Number(quantity), email })
      }}
    >
      <h2>Place an order</h2>
      <Field label="Product" name="sku" errors={fields.sku}>
        <select id="sku" name="sku" value={sku} onChange={(e) => setSku(e.target.value)}>
          {SKUS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Quantity" name="quantity" errors={fields.quantity}>
        <input
          id="quantity"
          name="quantity"
          type="number"
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
        />
      </Field>
      <Field label="Email for the receipt" name="email" errors={fields.email}>
        <input
          id="email"
          name="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          placeholder="you@example.com"
        />
      </Field>
      <button type="submit" disabled={create.isPending}>
        Place order
      </button>
      {other && (
        <ErrorBanner error={other}>
          {isFaultlineError(other, 'OUT_OF_STOCK')
            ? `Only ${other.details.available} left of ${other.details.sku}`
            : undefined}
        </ErrorBanner>
      )}
    </form>
  )
}
