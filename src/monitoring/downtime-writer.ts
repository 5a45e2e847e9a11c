import { issueMessages } from '../collectors/collect.js'
import { DowntimeRow } from '../collectors/downtime.schema.js'
import type { KindWriter } from '../pipeline/bus.js'
import { DOWNTIME_END_INCLUSIVE_SECONDS } from '../aggregators/availability/downtimes.js'
import type { DirtyMark } from './dirty-marks.store.js'
import type { DowntimeStore } from './downtime-store.js'
import type { RecomputeQueue } from './recompute-queue.js'
import type { TopologyStore } from './topology-store.js'

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10)

/**
 * Writes downtimes and their tombstones (kind `downtime`). A downtime moves the figures of every
 * day its DOWNTIME period `[start, end + 60 s)` touches, before and after a change, so both the
 * stored version and the new one mark their days dirty. Writes are serialised so each lookup of
 * the stored version sees the batches before it.
 */
export function createDowntimeWriter(deps: { downtimes: DowntimeStore; queue: RecomputeQueue; topology: TopologyStore }): KindWriter {
  let tail: Promise<unknown> = Promise.resolve()

  const marksOf = (d: { group: string; hostname: string; service: string; start: number; end: number }, into: Map<string, DirtyMark>) => {
    const groups = d.group !== '' ? [d.group] : [...deps.topology.groupsOfEndpoint(d.hostname, d.service)]
    if (groups.length === 0) return
    const last = dayOf(d.end + DOWNTIME_END_INCLUSIVE_SECONDS * 1000 - 1)
    for (const day of deps.queue.affectedDays('', dayOf(d.start), last)) {
      for (const group of groups) into.set(`${day}|${group}`, { report: '', day, group })
    }
  }

  async function writeBatch(rows: readonly DowntimeRow[], dedupToken: string | undefined): Promise<void> {
    // An endpoint unknown here may have just been added through another instance: its groups decide the marks.
    await deps.topology.refresh(() => rows.every((r) => r.group !== '' || deps.topology.isKnownEndpoint(r.hostname, r.service)))
    const stored = await deps.downtimes.byIds(rows.map((r) => r.downtime_id))
    const marks = new Map<string, DirtyMark>()
    for (const r of rows) {
      marksOf(r, marks)
      const old = stored.get(r.downtime_id)
      if (old) marksOf(old, marks)
    }
    const pending = await deps.queue.begin([...marks.values()])
    try {
      await deps.downtimes.insert(rows, dedupToken)
    } finally {
      pending.commit()
    }
  }

  return {
    decode(value) {
      const r = DowntimeRow.safeParse(value)
      return r.success ? { ok: true, row: r.data } : { ok: false, reason: issueMessages(r.error).join('; ') }
    },
    key: (row) => String(row.downtime_id),
    write(rows, { dedupToken }) {
      const run = tail.then(() => writeBatch(rows as DowntimeRow[], dedupToken))
      tail = run.catch(() => undefined)
      return run
    },
  }
}
