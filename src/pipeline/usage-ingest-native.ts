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

const STRING_COLUMNS = ['provider', 'record_id', 'resource', 'metric'] as const
const LATE_STRING_COLUMNS = ['user_id', 'user_group', 'order_ref', 'installation'] as const
const INSTANT_COLUMNS = ['start', 'end', 'at'] as const
const WRITTEN = [...STRING_COLUMNS, 'value', ...INSTANT_COLUMNS, ...LATE_STRING_COLUMNS, 'version', 'sign', 'track_level', 'users_dirty']
if (WRITTEN.join() !== USAGE_INGEST_COLUMNS.map((c) => c.name).join()) throw new Error('usageIngestBlock writes the columns out of USAGE_INGEST_TSV order')

/** The entries as one Native block of USAGE_INGEST_COLUMNS, column after column. */
export function usageIngestBlock(entries: readonly IngestEntry[]): Buffer {
  const w = new NativeBlockWriter(USAGE_INGEST_COLUMNS.length, entries.length)
  for (const c of STRING_COLUMNS) {
    w.column(c, 'String')
    for (const e of entries) w.string(e.row[c])
  }
  w.column('value', 'Float64')
  for (const e of entries) w.float64(e.row.value)
  for (const c of INSTANT_COLUMNS) {
    w.column(c, 'Int64')
    for (const e of entries) w.int64(e.row[c])
  }
  for (const c of LATE_STRING_COLUMNS) {
    w.column(c, 'String')
    for (const e of entries) w.string(e.row[c])
  }
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
