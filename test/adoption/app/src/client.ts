// The typed client from the README's tour. Calls the server at the URL given and prints, as one
// JSON line, what each typed error said; the `@ts-expect-error` lines fail `tsc` if typing is lost.
import { faultlineFetch, faultlineLink, fieldErrors, isFaultlineError, match, safe } from '@faultline/client'
import { createTRPCClient, httpBatchLink } from '@trpc/client'
import superjson from 'superjson'
import type { AppRouter } from './router.js'

const url = process.argv[2] ?? 'http://127.0.0.1:3000'
const client = createTRPCClient<AppRouter>({
  links: [
    faultlineLink(),
    httpBatchLink({ url, transformer: superjson, fetch: faultlineFetch(), headers: { 'x-request-id': 'adoption-1' } }),
  ],
})

const [user] = await safe(client.user.byId.query({ id: 'u_1' }))

const [, missing] = await safe(client.user.byId.query({ id: 'u_404' }))
const notFound = isFaultlineError(missing, 'USER_NOT_FOUND')
  ? { userId: missing.details.userId satisfies string, status: missing.data.httpStatus, requestId: missing.requestId }
  : null
// @ts-expect-error user.byId does not declare EMAIL_TAKEN
isFaultlineError(missing, 'EMAIL_TAKEN')
// @ts-expect-error USER_NOT_FOUND's data has no `email`
if (missing?.code === 'USER_NOT_FOUND') missing.details.email

const [, taken] = await safe(client.user.create.mutate({ email: 'taken@example.com', name: 'Ada' }))
const takenEmail = taken?.code === 'EMAIL_TAKEN' ? (taken.details.email satisfies string) : null

const [, invalid] = await safe(client.user.create.mutate({ email: 'not-an-email', name: 'A' }))

const [, declined] = await safe(client.pay.mutate({ card: 'c_1' }))
const [, limited] = await safe(client.search.query())
const [, crash] = await safe(client.stats.query())
const [, anonymous] = await safe(client.user.me.query())

const describe = (err: typeof declined) =>
  err &&
  match(err, {
    PAYMENT_DECLINED: (e) => `declined: ${e.details.declineCode}`,
    RATE_LIMITED: (e) => `retry in ${e.retry.afterMs} ms`,
    _: (e) => `${e.code}: ${e.message}`,
  })

console.log(
  JSON.stringify({
    user,
    notFound,
    takenEmail,
    invalid: { code: invalid?.code, fields: fieldErrors(invalid) },
    declined: describe(declined),
    limited: describe(limited),
    crash: crash && { code: crash.code, message: crash.message, requestId: crash.requestId },
    anonymous: anonymous && { code: anonymous.code, status: anonymous.data.httpStatus },
  }),
)
