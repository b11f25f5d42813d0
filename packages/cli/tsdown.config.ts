import base from '../../tsdown.base'

export default { ...base, entry: ['src/index.ts', 'src/bin.ts'], platform: 'node' as const }
