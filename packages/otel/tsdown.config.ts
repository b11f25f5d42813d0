import base from '../../tsdown.base'

export default base
