/**
 * Two 32-bit hashes of a usage key (provider, record_id): FNV-1a and a multiplicative hash over
 * provider, a separator and record_id, each finalised. The intake computes them where it encodes
 * a record; the writer uses them for the stored-keys filter and the landed keys.
 */
export function hashKeyInto(provider: string, recordId: string, out: Uint32Array, i: number): void {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let j = 0; j < provider.length; j++) {
    const c = provider.charCodeAt(j)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  a = Math.imul(a ^ 0xffff, 0x01000193)
  b = Math.imul(b ^ 0xffff, 0x5bd1e995)
  for (let j = 0; j < recordId.length; j++) {
    const c = recordId.charCodeAt(j)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  out[2 * i] = fmix(a)
  out[2 * i + 1] = fmix(b) | 1 // odd, never 0; a Uint32Array stores it unsigned
}

/** MurmurHash3's finaliser: spreads every input bit over the word. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
