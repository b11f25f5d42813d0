import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/**
 * The worker as one ESM script, bundled for a browser-like platform so that any import of a Node
 * built-in fails the build. `process.env.NODE_ENV` is set as a production build sets it.
 */
export async function bundleWorker(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@faultline/source', 'workerd', 'worker'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  const [file] = result.outputFiles
  if (!file) throw new Error('esbuild wrote no worker script')
  return file.text
}
