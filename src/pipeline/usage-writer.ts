import { z } from 'zod'
import { issueMessages } from '../collectors/collect.js'
import { UsageRow } from '../collectors/usage-record.schema.js'
import type { Store } from '../platform/clickhouse/store.js'
import { observeInsert, type Metrics } from '../platform/metrics.js'
import type { KindWriter } from './bus.js'
import type { StoredKeys } from './stored-keys.js'
import { LANDING_TABLES, UsageLanding, type LandingLimits } from './usage-landing.js'
import type { IngestEntry } from './usage-ingest-native.js'
import { decodeUsage, type UsagePart } from './usage-part.js'
import { USAGE_INGEST_TSV, usageIngestLine } from './usage-ingest-tsv.js'

const Existing = UsageRow.extend({ version: z.coerce.number(), start: z.coerce.number(), end: z.coerce.number(), at: z.coerce.number() })

export interface UsageWriterDeps {
  store: Store
  metrics: Metrics
  isLevelMetric: (metric: string) => boolean
  /** Keys certainly not stored skip the lookup; without it (a shared server) every key is looked up. */
  storedKeys?: StoredKeys
  /** Embedded: batches land first and move in bulk (see UsageLanding); a move's failure is reported here. */
  landing?: { limits?: LandingLimits; onError: (err: unknown) => void }
}

/**
 * The usage writer; `exclusively` runs other work on the usage tables between its batches, with
 * everything written before it in those tables.
 */
export interface UsageWriter extends KindWriter {
  /** Writes parts encoded at intake (the direct bus), as one batch. */
  writeParts(parts: readonly UsagePart[]): Promise<void>
  exclusively<T>(fn: () => Promise<T>): Promise<T>
  /** Resolves once every row written before the call is visible to reports. */
  settled(): Promise<void>
  /** At start, before the first batch: completes what a stopped process left landed; how many rows. */
  recover(): Promise<number>
  /** After the last batch: moves what is landed. */
  close(): Promise<void>
}

/**
 * Writes usage rows so that re-sent records replace, never double count — in the raw table
 * (ReplacingMergeTree on (provider, record_id)) and in the pre-aggregates (signed rows). For each
 * batch it finds the stored version of every key that may be stored and emits it again with
 * sign −1 next to the new row; a row not newer than the stored one (a redelivery) is skipped.
 * Batches are written one at a time, in order, so each one's lookup sees the batches before it.
 * Embedded, a batch lands first and reaches the tables in bulk (UsageLanding); the lookup reads the
 * landing tables too, for the keys that may be landed.
 */
export function createUsageWriter(deps: UsageWriterDeps): UsageWriter {
  let tail: Promise<unknown> = Promise.resolve()

  function serially<T>(fn: () => Promise<T>): Promise<T> {
    const done = tail.then(fn)
    tail = done.catch(() => undefined)
    return done
  }

  const landing = deps.landing && new UsageLanding({ store: deps.store, metrics: deps.metrics, sequence: serially, onError: deps.landing.onError }, deps.landing.limits)

  async function writeBatch(
    rows: readonly UsageRow[],
    dedupToken: string | undefined,
    mayBeStored = (latest: Keyed) => maybeStored(latest, deps.storedKeys, landing),
  ): Promise<void> {
    const latest: Keyed = new Map()
    for (const r of rows) {
      const byId = getOrAdd(latest, r.provider)
      const prev = byId.get(r.record_id)
      if (!prev || prev.version <= r.version) byId.set(r.record_id, r)
    }
    const stored = await lookup(deps.store, latest, mayBeStored(latest))
    const entries = ingestEntries(latest, stored)
    if (entries.length === 0) return
    if (landing) return landing.land(entries)
    const started = performance.now()
    const text = entries.map((e) => usageIngestLine(e.row, e.sign, e.trackLevel, e.usersDirty)).join('\n') + '\n'
    await deps.store.insertTsv('usage_ingest', { ...USAGE_INGEST_TSV, text }, dedupToken)
    observeInsert(deps.metrics, 'usage_ingest', started, entries.length)
  }

  /**
   * Parts as encoded at intake. Embedded, their keys are claimed by their hashes: when every key is
   * certainly new (a key twice in the batch is not) and every metric still has the level it was
   * encoded with — nearly always — the blocks land as they are. Otherwise the batch is decoded and
   * written row by row, looking up the keys that may be stored.
   */
  async function writeParts(parts: readonly UsagePart[]): Promise<void> {
    if (!landing) return writeBatch(parts.flatMap(decodeUsage), undefined)
    let careful = !parts.every((p) => p.levels.every(([metric, level]) => deps.isLevelMetric(metric) === level))
    const maybe: UsageRow[] = []
    let landed = false
    const flagged = parts.map(({ hashes }) => {
      const flags: number[] = []
      for (let i = 0; i < hashes.length; i += 2) {
        const h1 = hashes[i]!
        const h2 = hashes[i + 1]!
        if (deps.storedKeys && !deps.storedKeys.claimHashed(h1, h2)) continue
        flags.push(i / 2)
        landed ||= landing.mayHoldHashed(h1, h2)
      }
      careful ||= flags.length > 0
      return flags
    })
    if (!careful) return landing.landParts(parts)
    const rows = parts.flatMap((part, p) => {
      const decoded = decodeUsage(part)
      for (const i of flagged[p]!) maybe.push(decoded[i]!)
      return decoded
    })
    // An id twice in the IN set costs nothing; the lookup keeps only the batch's keys.
    await writeBatch(rows, undefined, () => ({ providers: [...new Set(maybe.map((r) => r.provider))], ids: maybe.map((r) => r.record_id), landed }))
  }

  /** The batch's usage_ingest rows: each row with sign +1, after the version it replaces with sign −1. */
  function ingestEntries(latest: Keyed, stored: Keyed): IngestEntry[] {
    const entries: IngestEntry[] = []
    for (const [provider, byId] of latest) {
      const olds = stored.get(provider)
      for (const [recordId, row] of byId) {
        const old = olds?.get(recordId)
        if (old && old.version >= row.version) continue
        const level = deps.isLevelMetric(row.metric)
        if (old) entries.push({ row: old, sign: -1, trackLevel: false, usersDirty: movesUser(old, row) })
        // A level record replaced by a non-level one must still reach usage_levels, to hide it there.
        entries.push({ row, sign: 1, trackLevel: level || (old !== undefined && deps.isLevelMetric(old.metric)), usersDirty: false })
      }
    }
    return entries
  }

  return {
    decode(value) {
      const r = UsageRow.safeParse(value)
      return r.success ? { ok: true, row: r.data } : { ok: false, reason: issueMessages(r.error).join('; ') }
    },
    key: (row) => String(row.provider),
    write: (rows, { dedupToken }) => serially(() => writeBatch(rows as UsageRow[], dedupToken)),
    writeParts: (parts) => serially(() => writeParts(parts)),
    exclusively: (fn) =>
      serially(async () => {
        await landing?.emptyInSequence()
        return fn()
      }),
    settled: async () => landing?.settled(),
    recover: async () => (landing ? landing.recover() : 0),
    close: async () => landing?.close(),
  }
}

/** Rows keyed provider → record_id → row (nested: no key strings to build per row). */
type Keyed = Map<string, Map<string, UsageRow>>

function getOrAdd(keyed: Keyed, provider: string): Map<string, UsageRow> {
  let byId = keyed.get(provider)
  if (!byId) keyed.set(provider, (byId = new Map()))
  return byId
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

/** The keys a batch looks up, and whether any of them may be landed. */
interface LookupKeys {
  providers: string[]
  ids: string[]
  landed: boolean
}

/** The batch's keys that may be stored, claimed in the filter: all of them without one. */
function maybeStored(latest: Keyed, storedKeys: StoredKeys | undefined, landing: UsageLanding | undefined): LookupKeys {
  const keys: LookupKeys = { providers: [], ids: [], landed: false }
  for (const [provider, byId] of latest) {
    const before = keys.ids.length
    for (const recordId of byId.keys()) {
      if (!(storedKeys?.claim(provider, recordId) ?? true)) continue
      keys.ids.push(recordId)
      keys.landed ||= landing?.mayHold(provider, recordId) ?? false
    }
    if (keys.ids.length > before) keys.providers.push(provider)
  }
  return keys
}

/**
 * The stored (latest) version of the keys asked for. One query with two IN sets over the sort key
 * (provider, record_id): ~10x cheaper in ClickHouse than a tuple IN; the few cross-matches are
 * dropped here. The ids travel as one newline-joined string (UsageRow refuses control characters
 * in them): a 20k-element array parameter costs far more to format. Rows landed and not yet moved
 * (or moved and not yet cleared) are stored too: the landing tables, which have no index, are read
 * only when one of the keys may be landed.
 */
async function lookup(store: Store, latest: Keyed, keys: LookupKeys): Promise<Keyed> {
  const { providers, ids } = keys
  const found: Keyed = new Map()
  if (!ids.length) return found
  const where = `provider IN {providers:Array(String)} AND record_id IN (SELECT arrayJoin(splitByChar('\\n', {ids:String})))`
  const queries = [
    `SELECT provider, record_id, resource, metric, value, toUnixTimestamp64Milli(start) AS start,
            toUnixTimestamp64Milli(end) AS end, toUnixTimestamp64Milli(at) AS at,
            user_id, user_group, order_ref, installation, version
     FROM usage_records WHERE ${where}`,
  ]
  if (keys.landed) {
    for (const t of LANDING_TABLES) {
      queries.push(`SELECT provider, record_id, resource, metric, value, start, end, at, user_id, user_group, order_ref, installation, version
                    FROM ${t} WHERE sign = 1 AND ${where}`)
    }
  }
  const existing = await store.query(queries.join('\n     UNION ALL\n'), { providers, ids: ids.join('\n') }, Existing)
  for (const e of existing) {
    if (!latest.get(e.provider)?.has(e.record_id)) continue
    const byId = getOrAdd(found, e.provider)
    const prev = byId.get(e.record_id)
    // Unmerged parts may still hold older versions: the highest one is what FINAL would show.
    if (!prev || prev.version < e.version) byId.set(e.record_id, e)
  }
  return found
}
