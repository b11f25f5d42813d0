import { build } from 'esbuild'

/**
 * Bundles a benchmark's server or worker as one JavaScript file for plain node, as a deployed app
 * runs: no TypeScript loader and no source maps, which make every stack trace dearer.
 */
export async function bundleForNode(entry: URL, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry.pathname],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    conditions: ['@faultline/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  })
}
