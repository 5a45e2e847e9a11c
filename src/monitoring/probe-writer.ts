import { issueMessages } from '../collectors/collect.js'
import { ProbeRow } from '../collectors/probe-result.schema.js'
import type { KindWriter } from '../pipeline/bus.js'
import type { Store } from '../platform/clickhouse/store.js'
import { observeInsert, type Metrics } from '../platform/metrics.js'
import { jsonString as s, type DirtyMark } from './dirty-marks.store.js'
import type { RecomputeQueue } from './recompute-queue.js'
import type { TopologyStore } from './topology-store.js'

const DAY_MS = 86_400_000

/**
 * Writes probe results (kind `probe`) for the direct bus and the Kafka sink alike: the raw rows go
 * to `probe_results` (idempotent on the result's key), and every (day, group) they touch is marked
 * dirty first, so the day is recomputed after the batch — never per request.
 */
export function createProbeWriter(deps: { store: Store; queue: RecomputeQueue; topology: TopologyStore; metrics: Metrics }): KindWriter {
  const dayNames = new Map<number, string>()
  const dayName = (ms: number) => {
    const n = Math.floor(ms / DAY_MS)
    let name = dayNames.get(n)
    if (name === undefined) dayNames.set(n, (name = new Date(n * DAY_MS).toISOString().slice(0, 10)))
    return name
  }

  return {
    decode(value) {
      const r = ProbeRow.safeParse(value)
      return r.success ? { ok: true, row: r.data } : { ok: false, reason: issueMessages(r.error).join('; ') }
    },
    key: (row) => `${String(row.hostname)}\u0000${String(row.service)}`,
    async write(input, { dedupToken }) {
      const rows = input as readonly ProbeRow[]
      if (rows.length === 0) return
      // An endpoint unknown here may have just been added through another instance: its groups decide the marks.
      await deps.topology.refresh(() => rows.every((r) => deps.topology.isKnownEndpoint(r.hostname, r.service)))
      // day → the group sets its rows touch (sets by identity: nothing allocated per row).
      const touched = new Map<string, Set<ReadonlySet<string>>>()
      const lines: string[] = new Array(rows.length)
      rows.forEach((r, i) => {
        const day = dayName(r.timestamp)
        let sets = touched.get(day)
        if (sets === undefined) touched.set(day, (sets = new Set()))
        sets.add(deps.topology.groupsOfEndpoint(r.hostname, r.service))
        // Empty text fields are left out (the columns default to ''): ~30 % less for the engine to parse.
        lines[i] =
          `{"timestamp":${r.timestamp},"hostname":${s(r.hostname)},"service":${s(r.service)},"metric":${s(r.metric)},` +
          `"status":"${r.status}","severity":${r.severity},"received_at":${r.received_at}` +
          (r.monitoring_host ? `,"monitoring_host":${s(r.monitoring_host)}` : '') +
          (r.summary ? `,"summary":${JSON.stringify(r.summary)}` : '') +
          (r.message ? `,"message":${JSON.stringify(r.message)}` : '') +
          (r.actual_data ? `,"actual_data":${JSON.stringify(r.actual_data)}` : '') +
          '}'
      })
      const marks = new Map<string, DirtyMark>()
      for (const [day, sets] of touched) for (const groups of sets) for (const group of groups) marks.set(`${day}|${group}`, { report: '', day, group })
      const days = touched.keys()
      const pending = await deps.queue.begin([...marks.values()])
      const started = performance.now()
      try {
        await deps.store.insertNdjson('probe_results', lines.join('\n'), dedupToken)
      } finally {
        deps.queue.noteDataDays(days)
        pending.commit()
      }
      observeInsert(deps.metrics, 'probe_results', started, rows.length)
    },
  }
}
