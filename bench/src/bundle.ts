import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

/** What a bundle costs, and which packages it pulled in. */
export interface BundleSize {
  minBytes: number
  gzipBytes: number
  packages: string[]
}

const here = new URL('./bundle/', import.meta.url)

/** Bundles one entry for the browser, minified, superjson external as an app already has it. */
export async function measureBundle(entry: 'plain' | 'faultline' | 'faultline-fetch'): Promise<BundleSize> {
  const result = await build({
    entryPoints: [new URL(`${entry}.ts`, here).pathname],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    external: ['superjson'],
    // the published packages as a user installs them would be dist; the source is the same code
    conditions: ['@faultline/source'],
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]?.contents ?? new Uint8Array()
  const packages = new Set<string>()
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = input.match(/node_modules\/(@[^/]+\/[^/]+|[^/@][^/]*)\//g)?.at(-1)
    if (match) packages.add(match.replace(/^node_modules\//, '').replace(/\/$/, ''))
    else if (input.includes('packages/')) packages.add(`@faultline/${input.split('packages/')[1]?.split('/')[0]}`)
  }
  return {
    minBytes: code.byteLength,
    gzipBytes: gzipSync(code, { level: 9 }).byteLength,
    packages: [...packages].sort(),
  }
}
