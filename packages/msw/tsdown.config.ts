import base from '../../tsdown.base'

export default { ...base, entry: ['src/index.ts', 'src/vitest.ts'] }
