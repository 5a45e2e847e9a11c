import { z } from 'zod'
import type { DowntimeRow } from '../collectors/downtime.schema.js'
import type { Store } from '../platform/clickhouse/store.js'
import { jsonString } from './dirty-marks.store.js'

/** A stored downtime, times as epoch milliseconds. */
export const StoredDowntime = z.object({
  downtime_id: z.string(),
  group: z.string(),
  hostname: z.string(),
  service: z.string(),
  start: z.coerce.number(),
  end: z.coerce.number(),
  reason: z.string(),
  providers: z.array(z.string()),
  created_by: z.string(),
})
export type StoredDowntime = z.infer<typeof StoredDowntime>

// Aliases must not shadow columns used in WHERE (ClickHouse substitutes aliases there).
const COLUMNS = `downtime_id, endpoint_group AS group, hostname, service, toUnixTimestamp64Milli(start) AS start_ms,
  toUnixTimestamp64Milli(end) AS end_ms, reason, providers, created_by`

const Row = z.object({
  downtime_id: z.string(),
  group: z.string(),
  hostname: z.string(),
  service: z.string(),
  start_ms: z.coerce.number(),
  end_ms: z.coerce.number(),
  reason: z.string(),
  providers: z.array(z.string()),
  created_by: z.string(),
})
const fromRow = ({ start_ms, end_ms, ...r }: z.infer<typeof Row>): StoredDowntime => ({ ...r, start: start_ms, end: end_ms })

/** Queries over `downtimes` (ReplacingMergeTree by downtime_id; deletions are tombstones). */
export class DowntimeStore {
  constructor(private readonly store: Store) {}

  async insert(rows: readonly DowntimeRow[], dedupToken?: string): Promise<void> {
    const lines = rows.map(
      (r) =>
        `{"downtime_id":${jsonString(r.downtime_id)},"endpoint_group":${jsonString(r.group)},"hostname":${jsonString(r.hostname)},` +
        `"service":${jsonString(r.service)},"start":${r.start},"end":${r.end},"reason":${JSON.stringify(r.reason)},` +
        `"providers":${JSON.stringify(r.providers)},"created_by":${jsonString(r.created_by)},"deleted":${r.deleted},` +
        `"updated_at":${Date.now()},"version":${r.version}}`,
    )
    await this.store.insertNdjson('downtimes', lines.join('\n'), dedupToken)
  }

  /** The live (not deleted) downtimes with these ids. */
  async byIds(ids: readonly string[]): Promise<Map<string, StoredDowntime>> {
    if (ids.length === 0) return new Map()
    const rows = await this.store.query(
      `SELECT ${COLUMNS} FROM downtimes FINAL WHERE downtime_id IN {ids:Array(String)} AND deleted = 0`,
      { ids: [...new Set(ids)] },
      Row,
    )
    return new Map(rows.map((r) => [r.downtime_id, fromRow(r)]))
  }

  /**
   * Live downtimes whose DOWNTIME period `[start, end + 60 s)` meets `[fromMs, toMs)`, optionally of
   * some groups (a group's own downtimes and those of endpoints it holds are decided by the caller).
   */
  async overlapping(fromMs: number, toMs: number): Promise<StoredDowntime[]> {
    const rows = await this.store.query(
      `SELECT ${COLUMNS} FROM downtimes FINAL
       WHERE deleted = 0 AND start < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         AND end + INTERVAL 60 SECOND > fromUnixTimestamp64Milli({from:Int64}, 'UTC')
       ORDER BY start_ms, downtime_id`,
      { from: fromMs, to: toMs },
      Row,
    )
    return rows.map(fromRow)
  }
}
