import { z } from 'zod'
import { dedupSettings, type Store } from '../platform/clickhouse/store.js'
import { observeInsert, type Metrics } from '../platform/metrics.js'
import { USAGE_INGEST_TSV } from './usage-ingest-tsv.js'

export const LANDING_TABLES = ['usage_landing_a', 'usage_landing_b'] as const
const Contents = z.object({ n: z.coerce.number(), h: z.string() })

export interface LandingLimits {
  /** A table holding this many rows starts moving at once. */
  moveRows: number
  /** Otherwise a table starts moving once no batch landed for this long... */
  idleMs: number
  /** ...or its first row waited this long: under steady load, moves stay large. */
  maxAgeMs: number
}

export const LANDING_LIMITS: LandingLimits = { moveRows: 250_000, idleMs: 200, maxAgeMs: 5000 }

/** Runs `fn` in the usage writer's sequence (after the batches before it, before those after). */
type Sequence = <T>(fn: () => Promise<T>) => Promise<T>

/**
 * Embedded ingest in two steps (migration 0007). A group-commit batch is made durable by an insert
 * into an append-only landing table with no views — cheap for a batch of a few thousand rows — and
 * the request is answered. Landed rows then reach usage_ingest, and through its views the raw and
 * pre-aggregated tables, in moves of up to `moveRows` rows: the engine's work per row falls steeply
 * with the insert's size, and a request's rows no longer pay for the views while it waits.
 *
 * Two tables take turns: one receives batches while the other moves. A moved table keeps its rows
 * (they are then in usage_records too, the same versions) until it receives again, so that the
 * writer's replacement lookup, which reads both landing tables and usage_records, never misses a
 * row between the move and the clean-up. `settled()` gives readers their own writes: it resolves
 * once every row landed before the call is moved. A move is idempotent (deduplication token from
 * the table's contents), so one interrupted by a crash is completed at the next start (`recover`).
 *
 * `land`, and every step that switches tables or empties one, runs in the writer's sequence, so they
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

  constructor(
    private readonly deps: { store: Store; metrics: Metrics; sequence: Sequence; onError: (err: unknown) => void },
    private readonly limits: LandingLimits = LANDING_LIMITS,
  ) {}

  /** At start, before any batch: moves whatever a stopped process left landed. */
  async recover(): Promise<number> {
    let recovered = 0
    for (const [i, table] of LANDING_TABLES.entries()) {
      const n = await this.moveOnce(table)
      if (n > 0) await this.truncate(i)
      recovered += n
    }
    return recovered
  }

  /** In the sequence: makes a batch's usage_ingest lines durable. */
  async land(text: string, count: number): Promise<void> {
    const i = this.active
    const started = performance.now()
    await this.deps.store.insertTsv(LANDING_TABLES[i]!, { ...USAGE_INGEST_TSV, text })
    observeInsert(this.deps.metrics, 'usage_landing', started, count)
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
    }
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
  private async moveOnce(table: string): Promise<number> {
    const started = performance.now()
    // The same contents give the same token: a move repeated after a crash is dropped as a duplicate.
    const [contents] = await this.deps.store.query(
      `SELECT count() AS n, toString(sum(cityHash64(provider, record_id, version, sign))) AS h FROM ${table}`,
      {},
      Contents,
    )
    const { n, h } = contents!
    if (n === 0) return 0
    await this.deps.store.command(`INSERT INTO usage_ingest SELECT * FROM ${table}`, {}, { ...dedupSettings(`landing:${n}:${h}`), parallel_view_processing: 1 })
    observeInsert(this.deps.metrics, 'usage_ingest', started, n)
    return n
  }

  private async truncate(i: number): Promise<void> {
    await this.deps.store.command(`TRUNCATE TABLE ${LANDING_TABLES[i]}`)
    this.rows[i] = 0
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
