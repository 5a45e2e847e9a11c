import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'
import { hashKeyInto } from './key-hash.js'

/** Slots of the first fingerprint layer; each further layer has twice as many. */
const FIRST_LAYER_SLOTS = 1 << 20

const KeyRow = z.object({ provider: z.string(), record_id: z.string() })

/**
 * Which usage keys (provider, record_id) may already be stored: the fingerprints of every key this
 * process wrote or found stored at start (see KeyFingerprints). Its "no" is certain, so the usage
 * writer skips the replacement lookup for those keys — nearly all of them, since accounting records
 * are new far more often than re-sent — and the lookup no longer grows with the table. Its false
 * "may" is about one key in 10^8: a batch of thousands of new keys almost never waits for a lookup
 * (a Bloom filter's 1 % made nearly every batch wait for one, often behind a landing move).
 *
 * Sound only where this process is the one writer of usage records: the embedded engine, whose
 * data folder chDB locks to a single process. Until the keys stored before start are loaded,
 * every key "may" be stored. Keys are never removed (retention, erasure): a stale "may" only
 * costs a lookup.
 */
export class StoredKeys {
  private readonly keys = new KeyFingerprints(FIRST_LAYER_SLOTS)
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
    return !this.loaded || this.keys.has(provider, recordId)
  }

  add(provider: string, recordId: string): void {
    this.keys.add(provider, recordId)
  }

  /**
   * `mayHave` and `add` in one hashing: whether the key may already be stored, and from now on it
   * may. The writer claims a batch's keys before inserting it; should the insert fail, the keys
   * only answer "may be stored" and cost a lookup.
   */
  claim(provider: string, recordId: string): boolean {
    return !this.keys.add(provider, recordId) || !this.loaded
  }

  /** `claim` for a key given by its hashes (key-hash). */
  claimHashed(h1: number, h2: number): boolean {
    return !this.keys.addHashed(h1, h2) || !this.loaded
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

/**
 * A set of keys as 63-bit fingerprints, for "certainly not in the set" answers: a key added is
 * always found, a key not added is found about once in 10^8 (a 31-bit fingerprint compared over a
 * few probes, times the layers). Open addressing with linear probing, so a lookup reads one or two
 * cache lines; a full layer is not rehashed (its slots keep no position bits): the next one is
 * twice as large. About 8 bytes a key.
 */
export class KeyFingerprints {
  private layers: FingerprintLayer[]

  constructor(private readonly firstSlots = 1 << 16) {
    this.layers = [new FingerprintLayer(firstSlots)]
  }

  has(provider: string, recordId: string): boolean {
    hashKeyInto(provider, recordId, scratch, 0)
    return this.hasHashed(scratch[0]!, scratch[1]!)
  }

  /** Adds the key; false when it was (or may have been) in the set already. */
  add(provider: string, recordId: string): boolean {
    hashKeyInto(provider, recordId, scratch, 0)
    return this.addHashed(scratch[0]!, scratch[1]!)
  }

  /** `has` for a key given by its hashes (key-hash). */
  hasHashed(h1: number, h2: number): boolean {
    for (const layer of this.layers) if (layer.has(h1, h2)) return true
    return false
  }

  /** `add` for a key given by its hashes (key-hash). */
  addHashed(h1: number, h2: number): boolean {
    if (this.hasHashed(h1, h2)) return false
    let layer = this.layers[this.layers.length - 1]!
    if (layer.full) this.layers.push((layer = new FingerprintLayer(layer.slots.length * 2)))
    layer.add(h1, h2)
    return true
  }

  clear(): void {
    this.layers = [new FingerprintLayer(this.firstSlots)]
  }
}

/** The hashes of the key being looked at (no allocation per key). */
const scratch = new Uint32Array(2)

/** Filled to 70 %: an absent key's probe then ends within a few slots. */
const MAX_LOAD = 0.7

class FingerprintLayer {
  readonly slots: Uint32Array
  private readonly mask: number
  private readonly capacity: number
  private count = 0

  constructor(slots: number) {
    this.slots = new Uint32Array(slots)
    this.mask = slots - 1
    this.capacity = Math.floor(slots * MAX_LOAD)
  }

  get full(): boolean {
    return this.count >= this.capacity
  }

  /** Whether the key is here: its fingerprint (h2, odd, so never 0) in the run of slots from h1. */
  has(h1: number, h2: number): boolean {
    for (let i = h1 & this.mask; ; i = (i + 1) & this.mask) {
      const f = this.slots[i]!
      if (f === 0) return false
      if (f === h2) return true
    }
  }

  add(h1: number, h2: number): void {
    let i = h1 & this.mask
    while (this.slots[i] !== 0) i = (i + 1) & this.mask
    this.slots[i] = h2
    this.count++
  }
}
