import type { UsageRow } from '../collectors/usage-record.schema.js'
import { NativeBlockWriter, nativeColumns } from '../platform/clickhouse/native-block.js'
import { USAGE_INGEST_TSV } from './usage-ingest-tsv.js'

/** One usage_ingest row to write: the row with its sign and view flags. */
export interface IngestEntry {
  row: UsageRow
  sign: 1 | -1
  trackLevel: boolean
  usersDirty: boolean
}

/** usage_ingest's columns as embedded landing stores them: instants as epoch milliseconds (Int64). */
export const USAGE_INGEST_COLUMNS = nativeColumns(USAGE_INGEST_TSV.structure)

/**
 * The entries as one Native block of USAGE_INGEST_COLUMNS, in their order. One loop per column with
 * its property named: this runs for every row ingested, and a keyed access per value cost twice as much.
 */
export function usageIngestBlock(entries: readonly IngestEntry[]): Buffer {
  const w = new NativeBlockWriter(USAGE_INGEST_COLUMNS.length, entries.length)
  w.column('provider', 'String')
  for (const e of entries) w.string(e.row.provider)
  w.column('record_id', 'String')
  for (const e of entries) w.string(e.row.record_id)
  w.column('resource', 'String')
  for (const e of entries) w.string(e.row.resource)
  w.column('metric', 'String')
  for (const e of entries) w.string(e.row.metric)
  w.column('value', 'Float64')
  for (const e of entries) w.float64(e.row.value)
  w.column('start', 'Int64')
  for (const e of entries) w.int64(e.row.start)
  w.column('end', 'Int64')
  for (const e of entries) w.int64(e.row.end)
  w.column('at', 'Int64')
  for (const e of entries) w.int64(e.row.at)
  w.column('user_id', 'String')
  for (const e of entries) w.string(e.row.user_id)
  w.column('user_group', 'String')
  for (const e of entries) w.string(e.row.user_group)
  w.column('order_ref', 'String')
  for (const e of entries) w.string(e.row.order_ref)
  w.column('installation', 'String')
  for (const e of entries) w.string(e.row.installation)
  w.column('version', 'UInt64')
  for (const e of entries) w.int64(e.row.version)
  w.column('sign', 'Int8')
  for (const e of entries) w.int8(e.sign)
  w.column('track_level', 'UInt8')
  for (const e of entries) w.uint8(e.trackLevel ? 1 : 0)
  w.column('users_dirty', 'UInt8')
  for (const e of entries) w.uint8(e.usersDirty ? 1 : 0)
  return w.bytes()
}
