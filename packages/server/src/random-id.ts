// Ids are made 256 at a time: one draw of random bytes, their hex written after the prefix into one
// ASCII buffer, decoded once. Each id is then a slice of that string, which V8 keeps as a view of
// it: no copy, and flat, so reading it later does not flatten it again.
const ID_BYTES = 16
const IDS_PER_BATCH = 256
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0))
const ascii = new TextDecoder()

/** A maker of ids: `prefix` (ASCII) and 32 hex digits, 128 random bits from Web Crypto's `getRandomValues`. */
export function idMaker(prefix: string): () => string {
  if (!/^[\x20-\x7e]*$/.test(prefix)) throw new TypeError(`idMaker: the prefix must be printable ASCII; got ${prefix}`)
  const width = prefix.length + 2 * ID_BYTES
  const random = new Uint8Array(ID_BYTES * IDS_PER_BATCH)
  const text = new Uint8Array(width * IDS_PER_BATCH)
  for (let id = 0; id < IDS_PER_BATCH; id++) {
    for (let i = 0; i < prefix.length; i++) text[id * width + i] = prefix.charCodeAt(i)
  }
  let batch = ''
  let next = IDS_PER_BATCH

  const refill = () => {
    globalThis.crypto.getRandomValues(random)
    for (let id = 0; id < IDS_PER_BATCH; id++) {
      let n = id * width + prefix.length
      for (let i = id * ID_BYTES, end = i + ID_BYTES; i < end; i++) {
        const byte = random[i] as number
        text[n++] = HEX_DIGITS[byte >> 4] as number
        text[n++] = HEX_DIGITS[byte & 15] as number
      }
    }
    batch = ascii.decode(text)
    next = 0
  }

  return () => {
    if (next === IDS_PER_BATCH) refill()
    const at = next++ * width
    return batch.slice(at, at + width)
  }
}
