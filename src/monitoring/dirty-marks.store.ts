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

const MarkRow = z.object({ report: z.string(), day: z.string(), endpoint_group: z.string(), seq: z.coerce.number() })
const CleanRow = z.object({ report: z.string(), day: z.string(), seq: z.coerce.number() })

/**
 * The durable half of the recompute queue (tables `availability_dirty`, `availability_days`).
 * A mark is written before the data it describes, so a crash can leave a spurious mark (one
 * extra recompute) but never a change without one.
 */
export class DirtyMarkStore {
  constructor(private readonly store: Store) {}

  async insert(marks: readonly DirtyMark[], seq: number): Promise<void> {
    if (marks.length === 0) return
    const lines = marks.map((m) => `{"report":${jsonString(m.report)},"day":"${m.day}","endpoint_group":${jsonString(m.group)},"seq":${seq}}`)
    await this.store.insertNdjson('availability_dirty', lines.join('\n'))
  }

  async markClean(report: string, day: string, seq: number): Promise<void> {
    await this.store.command(
      `INSERT INTO availability_days (report, day, clean_seq, computed_at) VALUES ({report:String}, {day:Date}, {seq:UInt64}, now64(3))`,
      { report, day, seq },
    )
  }

  /** Every mark (latest seq per key) and every clean point; the queue decides what is still dirty. */
  async load(): Promise<{ marks: z.infer<typeof MarkRow>[]; clean: z.infer<typeof CleanRow>[] }> {
    const [marks, clean] = await Promise.all([
      this.store.query(
        `SELECT report, day, endpoint_group, max(seq) AS seq FROM availability_dirty GROUP BY report, day, endpoint_group`,
        {},
        MarkRow,
      ),
      this.store.query(`SELECT report, day, max(clean_seq) AS seq FROM availability_days GROUP BY report, day`, {}, CleanRow),
    ])
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
