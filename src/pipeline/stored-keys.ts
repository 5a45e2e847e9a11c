import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'

/** Keys per Bloom layer at first; each further layer holds twice as many. */
const FIRST_LAYER_KEYS = 1 << 20
/** 10 bits and 7 probes per key: under 1 % false "may be stored". */
const BITS_PER_KEY = 10
const PROBES = 7
const BLOCK_BITS = 512
const BLOCK_WORDS = BLOCK_BITS / 32

const KeyRow = z.object({ provider: z.string(), record_id: z.string() })

/**
 * Which usage keys (provider, record_id) may already be stored: a Bloom filter over every key this
 * process wrote or found stored at start. Its "no" is certain, so the usage writer skips the
 * replacement lookup for those keys — nearly all of them, since accounting records are new far
 * more often than re-sent — and the lookup no longer grows with the table.
 *
 * Sound only where this process is the one writer of usage records: the embedded engine, whose
 * data folder chDB locks to a single process. Until the keys stored before start are loaded,
 * every key "may" be stored. Keys are never removed (retention, erasure): a stale "may" only
 * costs a lookup.
 */
export class StoredKeys {
  private readonly layers: BloomLayer[] = [new BloomLayer(FIRST_LAYER_KEYS)]
  private loaded = false
  private stopped = false
  private loading: Promise<unknown> = Promise.resolve()

  /**
   * `pageSize`: keys read per query while loading. Small pages with a pause between them: the
   * engine runs one statement at a time, so a report or insert waits behind at most one short
   * page (100k-row pages made a report on 10M records 3x slower while they loaded).
   */
  constructor(
    private readonly pageSize = 20_000,
    private readonly pauseMs = 10,
  ) {}

  /** False when the key is certainly not stored. */
  mayHave(provider: string, recordId: string): boolean {
    if (!this.loaded) return true
    hashKey(provider, recordId)
    for (const layer of this.layers) if (layer.has()) return true
    return false
  }

  add(provider: string, recordId: string): void {
    hashKey(provider, recordId)
    this.addHashed()
  }

  /**
   * `mayHave` and `add` in one hashing: whether the key may already be stored, and from now on it
   * may. The writer claims a batch's keys before inserting it; should the insert fail, the keys
   * only answer "may be stored" and cost a lookup.
   */
  claim(provider: string, recordId: string): boolean {
    hashKey(provider, recordId)
    let may = !this.loaded
    for (let i = 0; !may && i < this.layers.length; i++) may = this.layers[i]!.has()
    this.addHashed()
    return may
  }

  /** Adds the key last hashed. */
  private addHashed(): void {
    let layer = this.layers[this.layers.length - 1]!
    if (layer.full) {
      layer = new BloomLayer(layer.capacity * 2)
      this.layers.push(layer)
    }
    layer.add()
  }

  /** Reads the stored keys page by page along the sort key; resolves with how many (null if stopped). */
  load(store: Store, onProgress: (keys: number) => void = () => undefined): Promise<number | null> {
    const loading = (async () => {
      let after = { provider: '', record_id: '' }
      let total = 0
      for (;;) {
        if (this.stopped) return null
        const page = await store.query(
          `SELECT provider, record_id FROM usage_records
           WHERE provider > {provider:String} OR (provider = {provider:String} AND record_id > {record_id:String})
           ORDER BY provider, record_id LIMIT {limit:UInt32}`,
          { ...after, limit: this.pageSize },
          KeyRow,
        )
        for (const k of page) this.add(k.provider, k.record_id)
        total += page.length
        if (page.length < this.pageSize) break
        after = page[page.length - 1]!
        onProgress(total)
        await new Promise((r) => setTimeout(r, this.pauseMs))
      }
      this.loaded = true
      return total
    })()
    this.loading = loading
    return loading
  }

  /** Stops a load in progress (the filter then keeps answering "may be stored"). */
  async stop(): Promise<void> {
    this.stopped = true
    await this.loading.catch(() => undefined)
  }
}

/** The two 32-bit hashes of the last key hashed (module state: no allocation per key). */
let h1 = 0
let h2 = 0

/** FNV-1a and a second multiplicative hash over provider, a separator and record_id, finalised. */
function hashKey(provider: string, recordId: string): void {
  let a = 0x811c9dc5
  let b = 0x9747b28c
  for (let i = 0; i < provider.length; i++) {
    const c = provider.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  a = Math.imul(a ^ 0xffff, 0x01000193)
  b = Math.imul(b ^ 0xffff, 0x5bd1e995)
  for (let i = 0; i < recordId.length; i++) {
    const c = recordId.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
  }
  h1 = fmix(a)
  h2 = fmix(b) | 1
}

/** MurmurHash3's finaliser: spreads every input bit over the word. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * A blocked Bloom filter: all probes of a key fall in one 512-bit block (one cache line), so a
 * claim costs one cache miss instead of one per probe. Slightly more false "may" than a classic
 * filter of the same size (about 1 % at 10 bits per key).
 */
class BloomLayer {
  private readonly bits: Uint32Array
  private readonly blockMask: number
  private count = 0

  constructor(readonly capacity: number) {
    // A power of two of blocks, so a block is a mask rather than a modulo.
    const blocks = 2 ** Math.ceil(Math.log2((capacity * BITS_PER_KEY) / BLOCK_BITS))
    this.bits = new Uint32Array((blocks * BLOCK_BITS) / 32)
    this.blockMask = blocks - 1
  }

  get full(): boolean {
    return this.count >= this.capacity
  }

  add(): void {
    const base = (h1 & this.blockMask) * BLOCK_WORDS
    const step = (h1 >>> 22) | 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h2 + Math.imul(i, step)) & (BLOCK_BITS - 1)
      this.bits[base + (bit >>> 5)]! |= 1 << (bit & 31)
    }
    this.count++
  }

  has(): boolean {
    const base = (h1 & this.blockMask) * BLOCK_WORDS
    const step = (h1 >>> 22) | 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h2 + Math.imul(i, step)) & (BLOCK_BITS - 1)
      if ((this.bits[base + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return false
    }
    return true
  }
}
