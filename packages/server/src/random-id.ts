// Random bytes are drawn for 256 ids at a time. Each id's ASCII is written into its maker's buffer
// and decoded as one flat string: an id is made for every request, and a string joined from parts
// is flattened again when it is first read.
const ID_BYTES = 16
const IDS_PER_DRAW = 256
const random = new Uint8Array(ID_BYTES * IDS_PER_DRAW)
let drawn = IDS_PER_DRAW
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
const ascii = new TextDecoder()

/** A maker of ids: `prefix` (ASCII) and 32 hex digits, 128 random bits from Web Crypto's `getRandomValues`. */
export function idMaker(prefix: string): () => string {
  if (!/^[\x20-\x7e]*$/.test(prefix)) throw new TypeError(`idMaker: the prefix must be printable ASCII; got ${prefix}`)
  const bytes = new Uint8Array(prefix.length + 2 * ID_BYTES)
  for (let i = 0; i < prefix.length; i++) bytes[i] = prefix.charCodeAt(i)
  return () => {
    if (drawn === IDS_PER_DRAW) {
      globalThis.crypto.getRandomValues(random)
      drawn = 0
    }
    const at = drawn++ * ID_BYTES
    let n = prefix.length
    for (let i = 0; i < ID_BYTES; i++) {
      const byte = random[at + i] as number
      bytes[n++] = HEX_DIGITS[byte >> 4] as number
      bytes[n++] = HEX_DIGITS[byte & 15] as number
    }
    return ascii.decode(bytes)
  }
}
