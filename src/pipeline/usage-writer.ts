import { z } from 'zod'
import { issueMessages } from '../collectors/collect.js'
import { UsageRow } from '../collectors/usage-record.schema.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { Metrics } from '../platform/metrics.js'
import type { KindWriter } from './bus.js'

const Existing = UsageRow.extend({ version: z.coerce.number() })

/**
 * Writes usage rows so that re-sent records replace, never double count — in the raw table
 * (ReplacingMergeTree on (provider, record_id)) and in the pre-aggregates (signed rows). For each
 * batch it looks up the stored version of every key and emits it again with sign -1 next to the
 * new row; a row not newer than what is stored (a redelivery) is skipped entirely. Writes are
 * serialised so each lookup sees the batches before it.
 */
export function createUsageWriter(deps: { store: Store; metrics: Metrics }): KindWriter {
  let tail: Promise<unknown> = Promise.resolve()

  async function writeBatch(rows: readonly UsageRow[], dedupToken: string): Promise<void> {
    const latest = new Map<string, UsageRow>()
    for (const r of rows) {
      const k = r.provider + '\u0000' + r.record_id
      const prev = latest.get(k)
      if (!prev || prev.version <= r.version) latest.set(k, r)
    }
    const stored = await lookup(deps.store, [...latest.values()])
    const lines: string[] = []
    for (const [k, row] of latest) {
      const old = stored.get(k)
      if (old && old.version >= row.version) continue
      if (old) lines.push(JSON.stringify({ ...old, sign: -1 }))
      lines.push(JSON.stringify({ ...row, sign: 1 }))
    }
    if (!lines.length) return
    const started = performance.now()
    await deps.store.insertNdjson('usage_ingest', lines.join('\n'), dedupToken)
    deps.metrics.insertSeconds.observe({ table: 'usage_ingest' }, (performance.now() - started) / 1000)
    deps.metrics.insertRows.observe({ table: 'usage_ingest' }, lines.length)
  }

  return {
    decode(value) {
      const r = UsageRow.safeParse(value)
      return r.success ? { ok: true, row: r.data } : { ok: false, reason: issueMessages(r.error).join('; ') }
    },
    key: (row) => String(row.provider),
    write(rows, { dedupToken }) {
      const run = tail.then(() => writeBatch(rows as UsageRow[], dedupToken))
      tail = run.catch(() => undefined)
      return run
    },
  }
}

/** The stored (latest) version of each key in the batch, keyed `provider\0record_id`. */
async function lookup(store: Store, rows: UsageRow[]): Promise<Map<string, UsageRow>> {
  const found = new Map<string, UsageRow>()
  const byProvider = new Map<string, string[]>()
  for (const r of rows) {
    const ids = byProvider.get(r.provider) ?? []
    ids.push(r.record_id)
    byProvider.set(r.provider, ids)
  }
  for (const [provider, ids] of byProvider) {
    const existing = await store.query(
      `SELECT provider, record_id, resource, metric, value, toString(start) AS start, toString(end) AS end,
              toString(at) AS at, user_id, user_group, order_ref, installation, version
       FROM usage_records FINAL
       WHERE provider = {provider:String} AND record_id IN {ids:Array(String)}`,
      { provider, ids },
      Existing,
    )
    for (const e of existing) found.set(e.provider + '\u0000' + e.record_id, e)
  }
  return found
}
