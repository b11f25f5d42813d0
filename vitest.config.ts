import { defineConfig } from 'vitest/config'

// Resolve workspace packages to their TypeScript source, so tests need no build.
const resolve = { conditions: ['@faultline/source'] }

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        ssr: { resolve: { conditions: ['@faultline/source'] } },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          typecheck: { enabled: true, include: ['packages/*/src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['@faultline/source'] } },
        test: {
          name: 'integration',
          include: ['test/src/**/*.test.ts'],
          typecheck: { enabled: true, include: ['test/src/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
    ],
  },
})
