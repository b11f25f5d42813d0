import { defineConfig } from 'tsdown'

/** The one build every package shares: ESM for any runtime, with declarations. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'neutral',
  dts: true,
  clean: true,
})
