import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { Recomputation } from '../aggregators/availability/recomputation.js'
import { parseRfc3339 } from '../collectors/rfc3339.js'
import type { VersionClock } from '../collectors/version-clock.js'
import type { Store } from '../platform/clickhouse/store.js'

const Name = z.string().trim().min(1).max(256).regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
const Instant = z.string().max(40).refine((s) => parseRfc3339(s) !== null, 'must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z')
const Reason = z.string().trim().min(1, 'a reason is required').max(4096)

/**
 * Body of `POST /v1/sla-reports/{name}/recomputations` (DESIGN §3.4, Decision 10): the core's
 * `Recomputation` plus the mandatory `reason`. Periods are half-open `[start, end)`.
 */
export const RecomputationRequest = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('exclude_monitoring_host'), monitoring_host: Name, start: Instant, end: Instant, reason: Reason }),
  z.strictObject({ kind: z.literal('exclude_group'), group: Name, start: Instant, end: Instant, reason: Reason }),
  z.strictObject({
    kind: z.literal('exclude_metric'),
    metric: Name,
    group: Name.optional(),
    hostname: Name.optional(),
    service: Name.optional(),
    start: Instant,
    end: Instant,
    reason: Reason,
  }),
])
export type RecomputationRequest = z.infer<typeof RecomputationRequest>

export interface StoredRecomputation {
  readonly id: string
  readonly report: string
  readonly recomputation: Recomputation
  readonly reason: string
  readonly requested_by: string
  readonly requested_at: string
}

/** A recomputation as the API and the monthly report show it: flat, with ISO instants. */
export const RecomputationOut = z.object({
  id: z.string(),
  report: z.string(),
  kind: z.string(),
  monitoring_host: z.string().optional(),
  group: z.string().optional(),
  metric: z.string().optional(),
  hostname: z.string().optional(),
  service: z.string().optional(),
  start: z.string(),
  end: z.string(),
  reason: z.string(),
  requested_by: z.string(),
  requested_at: z.string(),
})
export type RecomputationOut = z.infer<typeof RecomputationOut>

const isoOf = (v: string | Date) => (v instanceof Date ? v.toISOString() : v)

export function recomputationOut(r: StoredRecomputation): RecomputationOut {
  const { start, end, ...rest } = r.recomputation
  return { id: r.id, report: r.report, ...rest, start: isoOf(start), end: isoOf(end), reason: r.reason, requested_by: r.requested_by, requested_at: r.requested_at }
}

const Row = z.object({ report: z.string(), id: z.string(), body: z.string(), reason: z.string(), requested_by: z.string(), requested_at: z.string() })

/** Recomputations per report, audited: who asked, when and why is stored with each and never changed. */
export class RecomputationStore {
  private byReport = new Map<string, StoredRecomputation[]>()
  private version = 0

  constructor(
    private readonly store: Store,
    private readonly clock: VersionClock,
  ) {}

  async load(): Promise<void> {
    // The version first: one stored meanwhile is then seen by the next refresh.
    const version = await this.store.latestVersion('sla_recomputations')
    const rows = await this.store.query(
      `SELECT report, id, body, reason, requested_by, formatDateTime(requested_at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS requested_at
       FROM sla_recomputations FINAL ORDER BY report, requested_at, id`,
      {},
      Row,
    )
    const byReport = new Map<string, StoredRecomputation[]>()
    for (const r of rows) {
      const list = byReport.get(r.report) ?? []
      list.push({ id: r.id, report: r.report, recomputation: Recomputation.parse(JSON.parse(r.body)), reason: r.reason, requested_by: r.requested_by, requested_at: r.requested_at })
      byReport.set(r.report, list)
    }
    this.byReport = byReport
    this.version = version
  }

  /** Reloads if another process has stored a recomputation since. */
  async refresh(): Promise<void> {
    if ((await this.store.latestVersion('sla_recomputations')) !== this.version) await this.load()
  }


  async add(report: string, recomputation: Recomputation, reason: string, by: string): Promise<StoredRecomputation> {
    const id = randomUUID()
    await this.store.command(
      `INSERT INTO sla_recomputations (report, id, body, reason, requested_by, requested_at, version)
       VALUES ({report:String}, {id:String}, {body:String}, {reason:String}, {by:String}, now64(3), {version:UInt64})`,
      { report, id, body: JSON.stringify(recomputation), reason, by, version: this.clock.next() },
    )
    await this.load()
    const stored = this.of(report).find((r) => r.id === id)
    if (stored === undefined) throw new Error(`recomputation ${id} vanished after it was stored`)
    return stored
  }

  of(report: string): readonly StoredRecomputation[] {
    return this.byReport.get(report) ?? []
  }
}
