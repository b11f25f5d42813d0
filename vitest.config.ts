import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config'

// Resolve workspace packages to their TypeScript source, so tests need no build.
const conditions = ['@faultline/source']

function project(
  name: string,
  dir: string,
  extra: { testTimeout?: number; hookTimeout?: number; globalSetup?: string } = {},
): TestProjectInlineConfiguration {
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      ...extra,
      include: [`${dir}/**/*.test.ts`, `${dir}/**/*.test.tsx`],
      typecheck: { enabled: true, include: [`${dir}/**/*.test-d.ts`], tsconfig: './tsconfig.json' },
    },
  }
}

export default defineConfig({
  test: {
    projects: [
      project('unit', 'packages/*/src'),
      project('integration', 'test/src'),
      project('web', 'apps/web/src'),
      // bytes and type instantiations, against plain tRPC (tsc runs a few seconds), and 5 s of pnpm load
      project('budgets', 'bench/src', { testTimeout: 120_000 }),
      // real headless Chromium against the real service: slower than the rest
      project('browser', 'apps/web/e2e', { testTimeout: 30_000 }),
      // real processes and a real redis-server, killed, frozen and restarted: the short chaos suite
      project('chaos', 'test/chaos', { testTimeout: 120_000, hookTimeout: 60_000 }),
      // every package packed as for a release, linted, and installed with npm into a plain app
      project('adoption', 'test/adoption', {
        globalSetup: 'test/adoption/pack.ts',
        testTimeout: 120_000,
        hookTimeout: 180_000,
      }),
    ],
  },
})
