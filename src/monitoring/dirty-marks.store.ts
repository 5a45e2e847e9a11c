import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'

/** "(report, day, group) changed": '' for report = every report, '' for group = every group. */
export interface DirtyMark {
  readonly report: string
  readonly day: string
  readonly group: string
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/
export const jsonString = (v: string) => (NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : '"' + v + '"')

const MarkRow = z.object({ report: z.string(), day: z.string(), endpoint_group: z.string(), source: z.string(), seq: z.coerce.number() })

/**
 * The durable half of the recompute queue (tables `availability_marks`, `availability_days`).
 * A mark is written before the data it describes, so a crash can leave a spurious mark (one
 * extra recompute) but never a change without one.
 */
export class DirtyMarkStore {
  /** This process's marks are told apart from other processes' by `source`. */
  readonly source: string = randomUUID()

  constructor(private readonly store: Store) {}

  async insert(marks: readonly DirtyMark[], seq: number): Promise<void> {
    if (marks.length === 0) return
    const lines = marks.map((m) => `{"report":${jsonString(m.report)},"day":"${m.day}","endpoint_group":${jsonString(m.group)},"source":"${this.source}","seq":${seq}}`)
    await this.store.insertNdjson('availability_marks', lines.join('\n'))
  }

  async markClean(report: string, day: string, seq: number): Promise<void> {
    await this.store.command(
      `INSERT INTO availability_days (report, day, clean_seq, computed_at) VALUES ({report:String}, {day:Date}, {seq:UInt64}, now64(3))`,
      { report, day, seq },
    )
  }

  /**
   * Marks newer than `sinceSeq` (latest seq per key), optionally of some days only, and the clean
   * points of the days concerned (every clean point when `days` is not given); the queue decides
   * what is still dirty.
   */
  async load(sinceSeq = 0, days?: readonly string[]): Promise<{ marks: z.infer<typeof MarkRow>[]; clean: { report: string; day: string; seq: number }[] }> {
    const dayFilter = days === undefined ? '' : 'AND day IN {days:Array(Date)}'
    const params = { since: sinceSeq, ...(days === undefined ? {} : { days }) }
    // One round trip: marks (kind 'm') and clean points (kind 'c') in one result.
    const rows = await this.store.query(
      `SELECT 'm' AS kind, report, day, endpoint_group, source, max(seq) AS seq FROM availability_marks
       WHERE 1 ${dayFilter} GROUP BY report, day, endpoint_group, source HAVING seq > {since:UInt64}
       UNION ALL
       SELECT 'c' AS kind, report, day, '' AS endpoint_group, '' AS source, max(clean_seq) AS seq FROM availability_days
       WHERE 1 ${dayFilter} GROUP BY report, day`,
      params,
      MarkRow.extend({ kind: z.enum(['m', 'c']) }),
    )
    const marks = rows.filter((r) => r.kind === 'm')
    const clean = rows.filter((r) => r.kind === 'c').map((r) => ({ report: r.report, day: r.day, seq: r.seq }))
    return { marks, clean }
  }

  /** The first day with any probe result, or undefined when there is none. */
  async firstDataDay(): Promise<string | undefined> {
    const [row] = await this.store.query(
      `SELECT if(count() = 0, '', toString(min(day))) AS day FROM probe_last`,
      {},
      z.object({ day: z.string() }),
    )
    return row?.day ? row.day : undefined
  }
}
