const tryIt: [label: string, href: string][] = [
  ['Order not found (404, typed data)', '/trpc/order.byId?input={"json":{"id":"ord_missing"}}'],
  ['Validation failed (400, field issues)', '/trpc/order.byId?input={"json":{}}'],
  ['Unexpected crash (500, generic message)', '/trpc/brokenReport'],
  ['Unauthorized (401, WWW-Authenticate)', '/trpc/admin.report'],
  ['Rate limited after 3 calls (429, Retry-After)', '/trpc/stock?input={"json":{"sku":"sku-mug"}}'],
  ['Outside tRPC (404, problem+json)', '/no-such-page'],
]

/** The example's landing page: links that show each kind of failure on the wire. */
export const indexPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Faultline example</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25rem}</style>
</head>
<body>
<h1>Faultline example service</h1>
<p>A tRPC API under <code>/trpc</code> whose every failure follows one typed error contract.
Each link below answers with the envelope in <code>error.json.data.error</code> (superjson), an
<code>x-request-id</code> header, and exactly one log line on the server.</p>
<ul>
${tryIt.map(([label, href]) => `<li><a href="${encodeURI(href)}">${label}</a></li>`).join('\n')}
</ul>
</body>
</html>
`
