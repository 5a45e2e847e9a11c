import type { UsageRow } from '../collectors/usage-record.schema.js'
import { NativeBlockReader, type NativeType } from '../platform/clickhouse/native-block.js'
import { hashKeyInto } from './key-hash.js'
import { usageIngestBlock, type IngestEntry } from './usage-ingest-native.js'

/**
 * Usage rows encoded for the writer where they are collected (an intake worker), so the writer's
 * thread only appends bytes: one Native block of usage_ingest rows, each with sign +1.
 */
export interface UsagePart {
  /** The rows as one Native block (usage-ingest-native); empty when there are none. */
  block: Uint8Array
  count: number
  /** Per row, the two hashes of its key (key-hash): for the stored-keys filter and the landed keys. */
  hashes: Uint32Array
  /** The part's metrics and whether each was a level metric when encoded (the rows' track_level). */
  levels: [string, boolean][]
}

export function encodeUsage(rows: readonly UsageRow[], isLevelMetric: (metric: string) => boolean): UsagePart {
  const levels = new Map<string, boolean>()
  const hashes = new Uint32Array(rows.length * 2)
  const entries = rows.map((row, i): IngestEntry => {
    let level = levels.get(row.metric)
    if (level === undefined) levels.set(row.metric, (level = isLevelMetric(row.metric)))
    hashKeyInto(row.provider, row.record_id, hashes, i)
    return { row, sign: 1, trackLevel: level, usersDirty: false }
  })
  // A buffer of its own: the part's buffers are handed over to the writer's thread.
  const block = rows.length ? new Uint8Array(usageIngestBlock(entries)) : new Uint8Array(0)
  return { block, count: rows.length, hashes, levels: [...levels] }
}

/** The rows of a part (for the writer's careful path, the Kafka bus and a ClickHouse server). */
export function decodeUsage(part: UsagePart): UsageRow[] {
  if (part.count === 0) return []
  const r = new NativeBlockReader(part.block)
  const column = <T>(name: string, type: NativeType, read: () => T): T[] => {
    r.column(name, type)
    const values = new Array<T>(r.rows)
    for (let i = 0; i < r.rows; i++) values[i] = read()
    return values
  }
  const text = () => r.string()
  const int64 = () => r.int64()
  const provider = column('provider', 'String', text)
  const recordId = column('record_id', 'String', text)
  const resource = column('resource', 'String', text)
  const metric = column('metric', 'String', text)
  const value = column('value', 'Float64', () => r.float64())
  const start = column('start', 'Int64', int64)
  const end = column('end', 'Int64', int64)
  const at = column('at', 'Int64', int64)
  const userId = column('user_id', 'String', text)
  const userGroup = column('user_group', 'String', text)
  const orderRef = column('order_ref', 'String', text)
  const installation = column('installation', 'String', text)
  const version = column('version', 'UInt64', int64)
  return provider.map((p, i) => ({
    provider: p,
    record_id: recordId[i]!,
    resource: resource[i]!,
    metric: metric[i]!,
    value: value[i]!,
    start: start[i]!,
    end: end[i]!,
    at: at[i]!,
    user_id: userId[i]!,
    user_group: userGroup[i]!,
    order_ref: orderRef[i]!,
    installation: installation[i]!,
    version: version[i]!,
  }))
}
