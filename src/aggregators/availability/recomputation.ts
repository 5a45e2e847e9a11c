import { z } from 'zod'
import { clipToDay, type Window } from './timeline.js'
import { requireEpochSeconds, toEpochSeconds } from './utc-day.js'

/**
 * Recomputations (reference §1.6, Decision 10): an SLA manager's request to take a monitoring
 * outage out of the figures. One row per exclusion; an ARGO request with several `exclude*`
 * lists becomes several rows. Periods are half-open `[start, end)`.
 */
const Name = z.string().trim().min(1).max(256)
/** Storage rows may spell "not given" as '' or null. */
const OptionalName = z.preprocess((v) => (v === '' || v === null ? undefined : v), Name.optional())
const InstantValue = z.union([
  z.string().refine((s) => toEpochSeconds(s) !== undefined, 'must be an RFC 3339 timestamp'),
  z.date(),
])

const period = { start: InstantValue, end: InstantValue }

export const Recomputation = z
  .discriminatedUnion('kind', [
    /** Drop that monitoring host's results stamped inside the period (ARGO `PickEndpoints`). */
    z.strictObject({ kind: z.literal('exclude_monitoring_host'), monitoring_host: Name, ...period }),
    /** The group's A/R counts the period as UNKNOWN; its status timeline is unchanged (ARGO `CalcGroupAR`). */
    z.strictObject({ kind: z.literal('exclude_group'), group: Name, ...period }),
    /** The metric is EXCLUDED over the period, optionally only on one group, host or service. */
    z.strictObject({
      kind: z.literal('exclude_metric'),
      metric: Name,
      group: OptionalName,
      hostname: OptionalName,
      service: OptionalName,
      ...period,
    }),
  ])
  .refine((r) => (toEpochSeconds(r.start) ?? 0) < (toEpochSeconds(r.end) ?? 0), { message: 'start must be before end', path: ['end'] })
export type Recomputation = z.infer<typeof Recomputation>

interface Period {
  readonly start: number
  readonly end: number
}

/** A day's recomputations with their periods in epoch seconds, grouped by what they exclude. */
export interface DayExclusions {
  readonly monitoringHosts: ReadonlyMap<string, readonly Period[]>
  readonly groups: ReadonlyMap<string, readonly Window[]>
  readonly metrics: readonly {
    readonly metric: string
    readonly group?: string | undefined
    readonly hostname?: string | undefined
    readonly service?: string | undefined
    readonly window: Window
  }[]
}

export function dayExclusions(dayStart: number, recomputations: readonly Recomputation[]): DayExclusions {
  const monitoringHosts = new Map<string, Period[]>()
  const groups = new Map<string, Window[]>()
  const metrics: DayExclusions['metrics'][number][] = []
  for (const r of recomputations) {
    const start = requireEpochSeconds(r.start, 'recomputation start')
    const end = requireEpochSeconds(r.end, 'recomputation end')
    if (r.kind === 'exclude_monitoring_host') {
      const list = monitoringHosts.get(r.monitoring_host) ?? []
      list.push({ start, end })
      monitoringHosts.set(r.monitoring_host, list)
      continue
    }
    const window = clipToDay(dayStart, start, end)
    if (window === undefined) continue
    if (r.kind === 'exclude_group') {
      groups.set(r.group, [...(groups.get(r.group) ?? []), window])
    } else {
      metrics.push({ metric: r.metric, group: r.group, hostname: r.hostname, service: r.service, window })
    }
  }
  return { monitoringHosts, groups, metrics }
}

/** Results carry their own timestamp, so a carried-over result is judged by when it was taken. */
export function isMonitoringHostExcluded(exclusions: DayExclusions, monitoringHost: string | null | undefined, at: number): boolean {
  if (monitoringHost === undefined || monitoringHost === null || monitoringHost === '') return false
  return (exclusions.monitoringHosts.get(monitoringHost) ?? []).some((p) => p.start <= at && at < p.end)
}

export function excludedMetricWindows(
  exclusions: DayExclusions,
  item: { readonly group: string; readonly hostname: string; readonly service: string; readonly metric: string },
): Window[] {
  return exclusions.metrics
    .filter(
      (m) =>
        m.metric === item.metric &&
        (m.group === undefined || m.group === item.group) &&
        (m.hostname === undefined || m.hostname === item.hostname) &&
        (m.service === undefined || m.service === item.service),
    )
    .map((m) => m.window)
}
