import { defineConfig } from 'tsdown'
import base from '../../tsdown.base'

// two entries: the app's API, and what task runner authors import
export default defineConfig({ ...base, entry: ['src/index.ts', 'src/runner.ts'] })
