import { z } from 'zod'
import { issueMessages } from '../collectors/collect.js'
import { UsageRow } from '../collectors/usage-record.schema.js'
import type { Store } from '../platform/clickhouse/store.js'
import { InfraError } from '../platform/errors.js'
import type { Metrics } from '../platform/metrics.js'
import type { KindWriter } from './bus.js'

const Existing = UsageRow.extend({ version: z.coerce.number(), start: z.coerce.number(), end: z.coerce.number(), at: z.coerce.number() })

/**
 * Writes usage rows so that re-sent records replace, never double count — in the raw table
 * (ReplacingMergeTree on (provider, record_id)) and in the pre-aggregates (signed rows). For each
 * batch it finds the current version of every key and emits it again with sign -1 next to the new
 * row; a row not newer than the current one (a redelivery) is skipped entirely.
 *
 * Two stages, so the engine inserts one batch while the next is prepared: `prepare` runs batches
 * one at a time and takes a key's current version from a batch still being inserted when there is
 * one, else from ClickHouse; `insert` writes batches in order. A batch prepared against a batch
 * whose insert then failed fails too (retriable), since its −1 rows would refer to rows never stored.
 */
export function createUsageWriter(deps: { store: Store; metrics: Metrics; isLevelMetric: (metric: string) => boolean }): KindWriter {
  const inFlight = new Map<number, Map<string, UsageRow>>()
  const failed = new Set<number>()
  let nextId = 0
  let prepareTail: Promise<unknown> = Promise.resolve()
  let insertTail: Promise<unknown> = Promise.resolve()

  async function prepare(rows: readonly UsageRow[]): Promise<Prepared> {
    const id = nextId++
    const dependsOn = [...inFlight.keys()]
    const latest = new Map<string, UsageRow>()
    for (const r of rows) {
      const k = r.provider + '\u0000' + r.record_id
      const prev = latest.get(k)
      if (!prev || prev.version <= r.version) latest.set(k, r)
    }
    const pendingOld = new Map<string, UsageRow>()
    for (const batch of inFlight.values()) for (const [k, r] of batch) if (latest.has(k)) pendingOld.set(k, r)
    inFlight.set(id, latest)
    // The lookup runs in the engine while the new rows are serialised here.
    const lookedUp = lookup(deps.store, [...latest].filter(([k]) => !pendingOld.has(k)).map(([, r]) => r))
    const fresh = new Map<string, string>()
    for (const [k, row] of latest) fresh.set(k, withSign(row, 1, deps.isLevelMetric(row.metric)))
    let stored: Map<string, UsageRow>
    try {
      stored = await lookedUp
    } catch (err) {
      settle(id, false)
      throw err
    }
    const lines: string[] = []
    for (const [k, line] of fresh) {
      const row = latest.get(k)!
      const old = pendingOld.get(k) ?? stored.get(k)
      if (old && old.version >= row.version) {
        latest.delete(k)
        continue
      }
      if (old) lines.push(withSign(old, -1, false, movesUser(old, row)))
      // A level record replaced by a non-level one must still reach usage_levels, to hide it there.
      const tombstone = old !== undefined && deps.isLevelMetric(old.metric) && !deps.isLevelMetric(row.metric)
      lines.push(tombstone ? withSign(row, 1, true) : line)
    }
    return { id, lines, dependsOn }
  }

  async function insert(p: Prepared, dedupToken: string | undefined): Promise<void> {
    try {
      if (p.dependsOn.some((d) => failed.has(d))) {
        throw new InfraError('STORE_UNAVAILABLE', 'an earlier insert this batch builds on failed', { retriable: true })
      }
      if (p.lines.length) {
        const started = performance.now()
      await deps.store.insertNdjson('usage_ingest', p.lines.join('\n'), dedupToken)
      deps.metrics.insertSeconds.observe({ table: 'usage_ingest' }, (performance.now() - started) / 1000)
        deps.metrics.insertRows.observe({ table: 'usage_ingest' }, p.lines.length)
      }
      settle(p.id, true)
    } catch (err) {
      settle(p.id, false)
      throw err
    }
  }

  function settle(id: number, ok: boolean): void {
    if (!ok) failed.add(id)
    inFlight.delete(id)
    // No batch prepared from now on can depend on a finished one.
    if (inFlight.size === 0) failed.clear()
  }

  return {
    decode(value) {
      const r = UsageRow.safeParse(value)
      return r.success ? { ok: true, row: r.data } : { ok: false, reason: issueMessages(r.error).join('; ') }
    },
    key: (row) => String(row.provider),
    write(rows, { dedupToken }) {
      const prepared = prepareTail.then(() => prepare(rows as UsageRow[]))
      prepareTail = prepared.catch(() => undefined)
      const written = Promise.all([prepared, insertTail]).then(([p]) => insert(p, dedupToken))
      insertTail = written.catch(() => undefined)
      return written
    },
  }
}

interface Prepared {
  id: number
  lines: string[]
  /** Batches that were still being inserted when this one was prepared. */
  dependsOn: number[]
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/
/** A JSON string literal; most identifiers need no escaping, so skip JSON.stringify for them. */
const s = (v: string) => (NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : '"' + v + '"')

/** The row as a usage_ingest line, written field by field: ~3x faster than JSON.stringify(object). */
function withSign(r: UsageRow, sign: 1 | -1, trackLevel: boolean, usersDirty = false): string {
  return `{"provider":${s(r.provider)},"record_id":${s(r.record_id)},"resource":${s(r.resource)},"metric":${s(r.metric)},"value":${r.value},"start":${r.start},"end":${r.end},"at":${r.at},"user_id":${s(r.user_id)},"user_group":${s(r.user_group)},"order_ref":${s(r.order_ref)},"installation":${s(r.installation)},"version":${r.version},"sign":${sign},"track_level":${trackLevel ? 1 : 0},"users_dirty":${usersDirty ? 1 : 0}}`
}

const MONTH_MS = (ms: number) => new Date(ms).toISOString().slice(0, 7)

/** True when the old version's user no longer counts in the same cell and month after replacement. */
function movesUser(old: UsageRow, row: UsageRow): boolean {
  if (old.user_id === '') return false
  return (
    old.user_id !== row.user_id || old.resource !== row.resource || old.metric !== row.metric || old.user_group !== row.user_group ||
    old.order_ref !== row.order_ref || old.installation !== row.installation || MONTH_MS(old.at) !== MONTH_MS(row.at)
  )
}

/**
 * The stored (latest) version of each key in the batch, keyed `provider\0record_id`. One query
 * with two IN sets over the sort key (provider, record_id): ~10x cheaper in ClickHouse than a
 * tuple IN or a query per provider; the few cross-matches are dropped here.
 */
async function lookup(store: Store, rows: UsageRow[]): Promise<Map<string, UsageRow>> {
  const wanted = new Set(rows.map((r) => r.provider + '\u0000' + r.record_id))
  const existing = await store.query(
    `SELECT provider, record_id, resource, metric, value, toUnixTimestamp64Milli(start) AS start,
            toUnixTimestamp64Milli(end) AS end, toUnixTimestamp64Milli(at) AS at,
            user_id, user_group, order_ref, installation, version
     FROM usage_records
     WHERE provider IN {providers:Array(String)} AND record_id IN {ids:Array(String)}`,
    { providers: [...new Set(rows.map((r) => r.provider))], ids: [...new Set(rows.map((r) => r.record_id))] },
    Existing,
  )
  const found = new Map<string, UsageRow>()
  for (const e of existing) {
    const k = e.provider + '\u0000' + e.record_id
    if (!wanted.has(k)) continue
    const prev = found.get(k)
    // Unmerged parts may still hold older versions: the highest one is what FINAL would show.
    if (!prev || prev.version < e.version) found.set(k, e)
  }
  return found
}
