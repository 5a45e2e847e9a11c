import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'
import { hashKeyInto } from './key-hash.js'

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
    hashKeyInto(provider, recordId, scratch, 0)
    for (const layer of this.layers) if (layer.has(scratch[0]!, scratch[1]!)) return true
    return false
  }

  add(provider: string, recordId: string): void {
    hashKeyInto(provider, recordId, scratch, 0)
    this.addHashed(scratch[0]!, scratch[1]!)
  }

  /**
   * `mayHave` and `add` in one, for a key hashed by `hashKeyInto`: whether the key may already be stored, and from now on it
   * may. The writer claims a batch's keys before inserting it; should the insert fail, the keys
   * only answer "may be stored" and cost a lookup.
   */
  claim(h1: number, h2: number): boolean {
    let may = !this.loaded
    for (let i = 0; !may && i < this.layers.length; i++) may = this.layers[i]!.has(h1, h2)
    this.addHashed(h1, h2)
    return may
  }

  private addHashed(h1: number, h2: number): void {
    let layer = this.layers[this.layers.length - 1]!
    if (layer.full) {
      layer = new BloomLayer(layer.capacity * 2)
      this.layers.push(layer)
    }
    layer.add(h1, h2)
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

/** Scratch for hashing one key (no allocation per key). */
const scratch = new Uint32Array(2)

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

  add(h1: number, h2: number): void {
    const base = (h1 & this.blockMask) * BLOCK_WORDS
    const step = (h1 >>> 22) | 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h2 + Math.imul(i, step)) & (BLOCK_BITS - 1)
      this.bits[base + (bit >>> 5)]! |= 1 << (bit & 31)
    }
    this.count++
  }

  has(h1: number, h2: number): boolean {
    const base = (h1 & this.blockMask) * BLOCK_WORDS
    const step = (h1 >>> 22) | 1
    for (let i = 0; i < PROBES; i++) {
      const bit = (h2 + Math.imul(i, step)) & (BLOCK_BITS - 1)
      if ((this.bits[base + (bit >>> 5)]! & (1 << (bit & 31))) === 0) return false
    }
    return true
  }
}
