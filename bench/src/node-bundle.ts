import { build } from 'esbuild'

/**
 * Bundles a benchmark's server or worker as one JavaScript file for plain node, as a deployed app
 * runs: no TypeScript loader and no source maps, which make every stack trace dearer. `external`
 * packages are left to node to load (CommonJS ones such as ioredis cannot be bundled as ESM).
 */
export async function bundleForNode(entry: URL, outfile: string, opts: { external?: string[] } = {}): Promise<void> {
  await build({
    entryPoints: [entry.pathname],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    conditions: ['@faultline/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    ...(opts.external ? { external: opts.external } : {}),
  })
}
