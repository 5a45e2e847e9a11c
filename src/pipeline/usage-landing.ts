import { z } from 'zod'
import { dedupSettings, type Store } from '../platform/clickhouse/store.js'
import { observeInsert, type Metrics } from '../platform/metrics.js'
import { LandingFile } from './landing-file.js'
import { KeyFingerprints } from './stored-keys.js'
import { usageIngestBlock, type IngestEntry } from './usage-ingest-native.js'
import type { UsagePart } from './usage-part.js'
import { USAGE_INGEST_TSV } from './usage-ingest-tsv.js'

/** File(Native) tables (migration 0008): the writer appends to their data files. */
export const LANDING_TABLES = ['usage_landing_file_a', 'usage_landing_file_b'] as const
/** The StripeLog landing tables of migration 0007, which the engine inserted into: moved and dropped at start. */
const ENGINE_LANDING_TABLES = ['usage_landing_a', 'usage_landing_b']
const Contents = z.object({ n: z.coerce.number(), h: z.string() })

export interface LandingLimits {
  /** A table holding this many rows starts moving at once. */
  moveRows: number
  /** Otherwise a table starts moving once no batch landed for this long... */
  idleMs: number
  /** ...or its first row waited this long: under steady load, moves stay large. */
  maxAgeMs: number
}

export const LANDING_LIMITS: LandingLimits = { moveRows: 100_000, idleMs: 200, maxAgeMs: 5000 }

/** Runs `fn` in the usage writer's sequence (after the batches before it, before those after). */
type Sequence = <T>(fn: () => Promise<T>) => Promise<T>

/**
 * Embedded ingest in two steps. A group-commit batch is made durable by appending it, as Native
 * blocks (one, or one per request as encoded at intake: `landParts`), in one write to the data file
 * of a `File(Native)` landing table — the rows are then in ClickHouse,
 * readable by SQL, and survive the process being killed — and the request is answered. The engine
 * does no work per batch: the embedded engine runs one statement at a time, so a batch inserted
 * through it waited behind every move (up to half a second), which stalled all requests. Landed rows
 * then reach usage_ingest, and through its views the raw and pre-aggregated tables, in moves of up to
 * `moveRows` rows: the engine's work per row falls steeply with the insert's size, and Native is read
 * without parsing text.
 *
 * Two tables take turns: one receives batches while the other moves. A moved table keeps its rows
 * (they are then in usage_records too, the same versions) until it receives again, so that the
 * writer's replacement lookup, which reads both landing tables and usage_records, never misses a
 * row between the move and the clean-up; `mayHold` tells it which keys it needs to look for there.
 * `settled()` gives readers their own writes: it resolves once every row landed before the call is
 * moved. A move is idempotent (deduplication token from the table's contents), so one interrupted by
 * a crash is completed at the next start (`recover`), after cutting a block left half-written.
 *
 * `land`, `landParts`, and every step that switches tables or empties one, runs in the writer's sequence, so they
 * never interleave with a batch's lookup; the moves themselves run beside it.
 */
export class UsageLanding {
  private active = 0
  private readonly rows = [0, 0]
  /** The landing sequence number of the last batch in each table; `movedUpTo` covers all moved. */
  private readonly upTo = [0, 0]
  private landed = 0
  private movedUpTo = 0
  /** The move running, if any (one at a time); it resolves only once the move succeeded. */
  private current: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  /** When the receiving table got its first row since it last moved. */
  private firstLanded = 0
  private closed = false
  /** The keys of the rows (sign +1) in each table, until it is emptied. */
  private readonly keys = [new KeyFingerprints(), new KeyFingerprints()]
  private opened: Promise<LandingFile[]> | null = null

  constructor(
    private readonly deps: { store: Store; metrics: Metrics; sequence: Sequence; onError: (err: unknown) => void },
    private readonly limits: LandingLimits = LANDING_LIMITS,
  ) {}

  /** At start, before any batch: moves whatever a stopped process left landed. */
  async recover(): Promise<number> {
    let recovered = 0
    const old = await this.deps.store.query(
      'SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)} ORDER BY name',
      { names: ENGINE_LANDING_TABLES },
      z.object({ name: z.string() }),
    )
    for (const { name } of old) {
      recovered += await this.moveOnce(name, '*')
      await this.deps.store.command(`DROP TABLE ${name}`)
    }
    const files = await this.files()
    for (const [i, table] of LANDING_TABLES.entries()) {
      await files[i]!.cutHalfWrittenBlock()
      const n = await this.moveOnce(table)
      if (n > 0) await this.truncate(i)
      recovered += n
    }
    return recovered
  }

  /** Whether a row of this key may be landed (and not yet emptied): certain when false. */
  mayHold(provider: string, recordId: string): boolean {
    return this.keys.some((k) => k.has(provider, recordId))
  }

  /** `mayHold` for a key given by its hashes (key-hash). */
  mayHoldHashed(h1: number, h2: number): boolean {
    return this.keys.some((k) => k.hasHashed(h1, h2))
  }

  /** In the sequence: makes a batch's usage_ingest rows durable. */
  async land(entries: readonly IngestEntry[]): Promise<void> {
    await this.append(usageIngestBlock(entries), entries.length, (keys) => {
      for (const e of entries) if (e.sign === 1) keys.add(e.row.provider, e.row.record_id)
    })
  }

  /** In the sequence: makes parts encoded at intake durable, as they are (all rows with sign +1). */
  async landParts(parts: readonly UsagePart[]): Promise<void> {
    const count = parts.reduce((n, p) => n + p.count, 0)
    await this.append(Buffer.concat(parts.map((p) => p.block)), count, (keys) => {
      for (const { hashes } of parts) for (let i = 0; i < hashes.length; i += 2) keys.addHashed(hashes[i]!, hashes[i + 1]!)
    })
  }

  private async append(block: Buffer, count: number, addKeys: (keys: KeyFingerprints) => void): Promise<void> {
    const i = this.active
    const started = performance.now()
    await (await this.files())[i]!.append(block)
    observeInsert(this.deps.metrics, 'usage_landing', started, count)
    addKeys(this.keys[i]!)
    if (this.rows[i] === 0) this.firstLanded = performance.now()
    this.rows[i]! += count
    this.upTo[i] = ++this.landed
    if (this.rows[i]! >= this.limits.moveRows) await this.rotate()
    else this.arm()
  }

  /** Resolves once every row landed before the call is in the raw and pre-aggregated tables. */
  async settled(): Promise<void> {
    const target = this.landed
    while (this.movedUpTo < target) {
      if (!this.current) await this.deps.sequence(() => this.rotate())
      await this.current
    }
  }

  /** In the sequence: moves everything landed and empties both tables (erasure leaves nothing behind). */
  async emptyInSequence(): Promise<void> {
    await this.current
    await this.rotate()
    await this.current
    for (const i of LANDING_TABLES.keys()) await this.truncate(i)
  }

  /** After the last batch: moves what is landed and empties both tables; a move failing now is left for the next start. */
  async close(): Promise<void> {
    try {
      await this.deps.sequence(() => this.emptyInSequence())
    } finally {
      this.closed = true
      if (this.timer) clearTimeout(this.timer)
      for (const f of this.opened ? await this.opened : []) await f.close()
    }
  }

  /** The landing tables' data files, opened for appending at first use. */
  private files(): Promise<LandingFile[]> {
    this.opened ??= Promise.all(LANDING_TABLES.map((t) => LandingFile.open(this.deps.store, t)))
    return this.opened
  }

  /** In the sequence: the receiving table starts moving and the other one (moved) receives next. */
  private async rotate(): Promise<void> {
    const from = this.active
    const to = 1 - from
    if (this.rows[from] === 0 || this.current) return
    if (this.rows[to]! > 0) await this.truncate(to)
    this.active = to
    this.startMove(from)
  }

  private startMove(i: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const upTo = this.upTo[i]!
    this.current = (async () => {
      for (;;) {
        try {
          await this.moveOnce(LANDING_TABLES[i]!)
          break
        } catch (err) {
          if (this.closed) throw err
          this.deps.onError(err)
          await new Promise((r) => setTimeout(r, 1000))
        }
      }
      this.movedUpTo = Math.max(this.movedUpTo, upTo)
      this.current = null
      // What landed during the move goes next, at once when its table is full.
      if (this.rows[this.active]! >= this.limits.moveRows) this.rotateSoon()
      else if (this.rows[this.active]! > 0) this.arm()
    })()
  }

  /** Moves the table's rows into usage_ingest (none for an empty table); how many. */
  private async moveOnce(table: string, select: string = USAGE_INGEST_TSV.select): Promise<number> {
    const started = performance.now()
    // The same contents give the same token: a move repeated after a crash is dropped as a duplicate.
    const [contents] = await this.deps.store.query(
      `SELECT count() AS n, toString(sum(cityHash64(provider, record_id, version, sign))) AS h FROM ${table}`,
      {},
      Contents,
    )
    const { n, h } = contents!
    if (n === 0) return 0
    await this.deps.store.command(`INSERT INTO usage_ingest SELECT ${select} FROM ${table}`, {}, { ...dedupSettings(`landing:${n}:${h}`), parallel_view_processing: 1 })
    observeInsert(this.deps.metrics, 'usage_ingest', started, n)
    return n
  }

  private async truncate(i: number): Promise<void> {
    await (await this.files())[i]!.truncate()
    this.rows[i] = 0
    this.keys[i]!.clear()
  }

  /** (Re)starts the wait before the receiving table moves unprompted. */
  private arm(): void {
    if (this.closed) return
    if (this.timer) clearTimeout(this.timer)
    const age = performance.now() - this.firstLanded
    this.timer = setTimeout(
      () => {
        this.timer = null
        this.rotateSoon()
      },
      Math.max(0, Math.min(this.limits.idleMs, this.limits.maxAgeMs - age)),
    )
    this.timer.unref()
  }

  /** Rotates at the writer's next turn (outside the sequence: from a timer or a finished move). */
  private rotateSoon(): void {
    void this.deps.sequence(() => this.rotate()).catch(this.deps.onError)
  }
}
