import { z } from 'zod'
import type { ProbeStatus } from '../aggregators/availability/status.js'
import { STATUS_OF_SEVERITY } from '../collectors/probe-result.schema.js'
import type { Store } from '../platform/clickhouse/store.js'

/** One result reduced to what the computation needs: epoch second, status, monitoring host. */
export interface ResultPoint {
  readonly at: number
  readonly status: ProbeStatus
  readonly monitoringHost: string
}

export interface MetricResults {
  readonly hostname: string
  readonly service: string
  readonly metric: string
  readonly points: readonly ResultPoint[]
}

/** `[second, severity, monitoring host]` tuples, checked without a zod object per result (a day holds ~10^5). */
const Tuples = z.custom<[number, number, string][]>(
  (v) =>
    Array.isArray(v) &&
    v.every((t) => Array.isArray(t) && t.length === 3 && Number.isInteger(t[0]) && Number.isInteger(t[1]) && t[1] >= 0 && t[1] <= 3 && typeof t[2] === 'string'),
  'bad result tuples',
)
const ResultsRow = z.object({ hostname: z.string(), service: z.string(), metric: z.string(), results: Tuples })
const LastRow = z.object({ hostname: z.string(), service: z.string(), metric: z.string(), last: z.tuple([z.number().int(), z.number().int().min(0).max(3), z.string()]) })

const toPoint = ([at, severity, monitoringHost]: [number, number, string]): ResultPoint => ({
  at,
  status: STATUS_OF_SEVERITY[severity] ?? 'UNKNOWN',
  monitoringHost,
})

/** The filter on hosts, or none when the whole day is wanted (cheaper than a huge IN list). */
function hostFilter(hosts: readonly string[] | undefined): { sql: string; params: Record<string, unknown> } {
  return hosts === undefined ? { sql: '', params: {} } : { sql: 'AND hostname IN {hosts:Array(String)}', params: { hosts } }
}

/**
 * The day's raw results per metric, one row per metric with its results as an array (the
 * transfer is ~5x smaller than a row per result). Duplicates from unmerged parts are harmless:
 * the same result twice gives the same timeline.
 */
export async function dayResults(store: Store, day: string, hosts?: readonly string[]): Promise<MetricResults[]> {
  const f = hostFilter(hosts)
  const rows = await store.query(
    `SELECT hostname, service, metric,
            groupArray(tuple(toUInt32(toUnixTimestamp(timestamp)), severity, toString(monitoring_host))) AS results
     FROM probe_results WHERE day = {day:Date} ${f.sql}
     GROUP BY hostname, service, metric`,
    { day, ...f.params },
    ResultsRow,
  )
  return rows.map((r) => ({ hostname: r.hostname, service: r.service, metric: r.metric, points: r.results.map(toPoint) }))
}

/**
 * The latest result before the day of each metric (Decision 4), from the per-day maxima kept by
 * `probe_results_to_last`: the latest second, then the worst status, as the core picks.
 */
export async function carryIn(store: Store, day: string, hosts?: readonly string[]): Promise<MetricResults[]> {
  const f = hostFilter(hosts)
  const rows = await store.query(
    `SELECT hostname, service, metric, max(last) AS last FROM probe_last
     WHERE day < {day:Date} ${f.sql} GROUP BY hostname, service, metric`,
    { day, ...f.params },
    LastRow,
  )
  return rows.map((r) => ({ hostname: r.hostname, service: r.service, metric: r.metric, points: [toPoint(r.last)] }))
}
