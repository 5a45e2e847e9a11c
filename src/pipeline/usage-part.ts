import type { UsageRow } from '../collectors/usage-record.schema.js'
import { hashKeyInto } from './key-hash.js'
import { usageIngestLine } from './usage-ingest-tsv.js'

/**
 * Usage rows encoded for the writer: where they are collected (an intake worker), not where they
 * are written, so the writer's thread only joins texts. Every line has sign +1.
 */
export interface UsagePart {
  /** usage_ingest lines (usage-ingest-tsv), one per row, each ending in a newline. */
  text: string
  count: number
  /** Per row, the two hashes of its key (key-hash): the stored-keys filter's, and to find a key twice in a batch. */
  hashes: Uint32Array
  /** The metrics of the part and whether each was a level metric when encoded (the lines' track_level). */
  levels: [string, boolean][]
}

export function encodeUsage(rows: readonly UsageRow[], isLevelMetric: (metric: string) => boolean): UsagePart {
  const levels = new Map<string, boolean>()
  const hashes = new Uint32Array(rows.length * 2)
  let text = ''
  const lines: string[] = []
  rows.forEach((r, i) => {
    let level = levels.get(r.metric)
    if (level === undefined) levels.set(r.metric, (level = isLevelMetric(r.metric)))
    hashKeyInto(r.provider, r.record_id, hashes, i)
    lines.push(usageIngestLine(r, 1, level, false))
  })
  if (lines.length) text = lines.join('\n') + '\n'
  return { text, count: rows.length, hashes, levels: [...levels] }
}

/** The part's lines, without their newlines. */
export const partLines = (part: UsagePart): string[] => (part.count ? part.text.slice(0, -1).split('\n') : [])

const UNESCAPE: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r', '0': '\0', b: '\b', f: '\f' }
const field = (v: string) => (v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c) : v)

/** A line's key, without decoding the rest. */
export function lineKey(line: string): { provider: string; record_id: string } {
  const a = line.indexOf('\t')
  const b = line.indexOf('\t', a + 1)
  return { provider: field(line.slice(0, a)), record_id: field(line.slice(a + 1, b)) }
}

/** The row a line carries (the inverse of usageIngestLine). */
export function decodeLine(line: string): UsageRow {
  const f = line.split('\t')
  return {
    provider: field(f[0]!),
    record_id: field(f[1]!),
    resource: field(f[2]!),
    metric: field(f[3]!),
    value: Number(f[4]),
    start: Number(f[5]),
    end: Number(f[6]),
    at: Number(f[7]),
    user_id: field(f[8]!),
    user_group: field(f[9]!),
    order_ref: field(f[10]!),
    installation: field(f[11]!),
    version: Number(f[12]),
  }
}

export const decodeUsage = (part: UsagePart): UsageRow[] => partLines(part).map(decodeLine)
