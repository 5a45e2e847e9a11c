import { z } from 'zod'
import { UsageRow } from '../collectors/usage-record.schema.js'
import type { Bus } from '../pipeline/bus.js'
import type { Store } from '../platform/clickhouse/store.js'

const Stored = UsageRow.extend({
  value: z.coerce.number(),
  start: z.coerce.number(),
  end: z.coerce.number(),
  at: z.coerce.number(),
  version: z.coerce.number(),
})

const BATCH = 5_000

/**
 * Moves usage stored under names that have just become aliases of `pid` onto `pid`, so reports
 * count it under the canonical resource like records resolved at ingest. Each record is re-published
 * through the bus with its stored version + 1: the usage writer then replaces it and corrects the
 * pre-aggregates with signed rows, and a newer re-send of the record made meanwhile still wins.
 * Returns how many records were moved.
 */
export async function rekeyUsage(deps: { store: Store; bus: Bus }, pid: string, aliases: readonly string[]): Promise<number> {
  if (aliases.length === 0) return 0
  let moved = 0
  let after = { provider: '', record_id: '' }
  for (;;) {
    const rows = await deps.store.query(
      `SELECT provider, record_id, resource, metric, value, toUnixTimestamp64Milli(start) AS start,
              toUnixTimestamp64Milli(end) AS end, toUnixTimestamp64Milli(at) AS at,
              user_id, user_group, order_ref, installation, version
       FROM usage_records FINAL
       WHERE resource IN {aliases:Array(String)} AND (provider, record_id) > ({p:String}, {r:String})
       ORDER BY provider, record_id
       LIMIT ${BATCH}`,
      { aliases, p: after.provider, r: after.record_id },
      Stored,
    )
    if (rows.length === 0) return moved
    await deps.bus.publish(
      'usage',
      rows.map((r) => ({ ...r, resource: pid, version: r.version + 1 })),
    )
    moved += rows.length
    const last = rows[rows.length - 1]!
    after = { provider: last.provider, record_id: last.record_id }
    if (rows.length < BATCH) return moved
  }
}
