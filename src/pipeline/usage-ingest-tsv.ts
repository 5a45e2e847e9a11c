import type { UsageRow } from '../collectors/usage-record.schema.js'

/**
 * usage_ingest rows as TabSeparated text for `Store.insertTsv`: instants travel as epoch
 * milliseconds (text DateTime parsing is ambiguous for bare numbers) and are converted in the
 * SELECT; every other column maps one to one.
 */
export const USAGE_INGEST_TSV = {
  structure:
    'provider String, record_id String, resource String, metric String, value Float64, start Int64, end Int64, at Int64, ' +
    'user_id String, user_group String, order_ref String, installation String, version UInt64, sign Int8, track_level UInt8, users_dirty UInt8',
  select:
    "provider, record_id, resource, metric, value, fromUnixTimestamp64Milli(start, 'UTC'), fromUnixTimestamp64Milli(end, 'UTC'), " +
    "fromUnixTimestamp64Milli(at, 'UTC'), user_id, user_group, order_ref, installation, version, sign, track_level, users_dirty",
} as const

/** The row as one usage_ingest line (no newline), written field by field. */
export function usageIngestLine(r: UsageRow, sign: 1 | -1, trackLevel: boolean, usersDirty: boolean): string {
  return `${t(r.provider)}\t${t(r.record_id)}\t${t(r.resource)}\t${t(r.metric)}\t${r.value}\t${r.start}\t${r.end}\t${r.at}\t${t(r.user_id)}\t${t(r.user_group)}\t${t(r.order_ref)}\t${t(r.installation)}\t${r.version}\t${sign}\t${trackLevel ? 1 : 0}\t${usersDirty ? 1 : 0}`
}

const NEEDS_ESCAPE = /[\\\t\n\r\0\b\f]/
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' }

/** A TabSeparated field: identifiers almost never need escaping, so test before replacing. */
const t = (v: string) => (NEEDS_ESCAPE.test(v) ? v.replace(/[\\\t\n\r\0\b\f]/g, (c) => ESCAPES[c]!) : v)
