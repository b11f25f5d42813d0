import base from '../../tsdown.base'

export default { ...base, platform: 'node' as const }
