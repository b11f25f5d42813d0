import { defineConfig } from 'vite'

export default defineConfig({
  // workspace packages resolve to their TypeScript source: no package build needed for the page
  resolve: { conditions: ['@faultline/source'] },
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    // `pnpm --filter @faultline/example-web dev` beside the API on :3000
    proxy: { '/trpc': 'http://localhost:3000' },
  },
})
