// @vitest-environment happy-dom
// A React Query component tested against the kit's mocks: the error the
// component renders is exactly the one the real server would send.
import { faultlineFetch, faultlineLink, fieldErrors, match } from '@faultline/client'
import { createFaultlineMsw } from '@faultline/msw'
import { QueryClient, QueryClientProvider, useMutation, useQuery } from '@tanstack/react-query'
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import { createTRPCContext } from '@trpc/tanstack-react-query'
import { setupServer } from 'msw/node'
import type { ReactNode } from 'react'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { type AppRouter, buildApp, plainJson } from './fixtures/app'
import { errors } from './fixtures/catalog'

const URL = 'http://localhost:3000/trpc'
const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>()

/** The component under test: shows a user, or says precisely why it cannot. */
function UserCard({ id }: { id: string }) {
  const trpc = useTRPC()
  const user = useQuery(trpc.user.byId.queryOptions({ id }))
  if (user.error) {
    return (
      <p role="alert">
        {match(user.error, {
          USER_NOT_FOUND: (e) => `No user ${e.details.userId}`,
          _: (e) => `Something went wrong (request ${e.requestId})`,
        })}
      </p>
    )
  }
  return user.data ? <h1>{user.data.name}</h1> : <p>Loading…</p>
}

/** A form that shows field errors next to their inputs. */
function SignUp() {
  const trpc = useTRPC()
  const signUp = useMutation(trpc.user.create.mutationOptions())
  const errorsByField = fieldErrors(signUp.error)
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        signUp.mutate({ email: 'not-an-email', name: 'A' })
      }}
    >
      <button type="submit">Sign up</button>
      {errorsByField.email && <span data-testid="email-error">{errorsByField.email[0]}</span>}
      {errorsByField.name && <span data-testid="name-error">{errorsByField.name[0]}</span>}
    </form>
  )
}

const app = buildApp({ expose: 'safe' })
const kit = createFaultlineMsw({ router: app.router, faultline: app.fl, url: URL })
const server = setupServer(...kit.handlers)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  cleanup()
  kit.assertAllMocked()
  kit.reset()
})
afterAll(() => server.close())

function renderWithClient(ui: ReactNode) {
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  const trpcClient = createTRPCClient<AppRouter>({
    links: [faultlineLink(), httpBatchLink({ url: URL, transformer: plainJson, fetch: faultlineFetch() })],
  })
  return render(
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {ui}
      </TRPCProvider>
    </QueryClientProvider>,
  )
}

test('the card shows the user', async () => {
  kit.mock.user.byId.query(({ input }) => ({ id: input.id, name: 'Ada Lovelace' }))
  renderWithClient(<UserCard id="u_1" />)
  expect(await screen.findByRole('heading')).toHaveProperty('textContent', 'Ada Lovelace')
})

test('the card says which user was not found, from the typed error data', async () => {
  kit.mock.user.byId.query(errors.USER_NOT_FOUND({ userId: 'u_404' }))
  renderWithClient(<UserCard id="u_404" />)
  expect((await screen.findByRole('alert')).textContent).toBe('No user u_404')
})

test('a crash shows the request id, never the internals', async () => {
  kit.mock.user.byId.query(new Error('connection string postgres://admin:hunter2@db'))
  renderWithClient(<UserCard id="u_1" />)
  const alert = await screen.findByRole('alert')
  expect(alert.textContent).toMatch(/^Something went wrong \(request req_[0-9a-f]{32}\)$/)
  expect(alert.textContent).not.toContain('hunter2')
})

test("the form shows field errors from the app's real validation", async () => {
  kit.mock.user.create.mutation(({ input }) => ({ id: 'u_2', ...input }))
  renderWithClient(<SignUp />)
  fireEvent.click(screen.getByRole('button', { name: 'Sign up' }))
  expect((await screen.findByTestId('email-error')).textContent).toMatch(/email/i)
  expect(screen.getByTestId('name-error').textContent).toMatch(/2/)
})
