import { arFigures, statusSeconds, type ArFigures, type StatusSeconds } from './availability.js'
import { downtimeCovers, downtimeWindow, type DowntimeInput } from './downtimes.js'
import { aggregateGroup, compareNames, compileProfile, type CompiledProfile } from './levels.js'
import type { SlaReport } from './profiles.js'
import { dayExclusions, excludedMetricWindows, isMonitoringHostExcluded, type DayExclusions, type Recomputation } from './recomputation.js'
import { compareSeverity, parseProbeStatus, type ProbeStatus } from './status.js'
import { metricTimeline, overlay, type DayResult, type Timeline, type Window } from './timeline.js'
import { DAY_SECONDS, dayStart, requireEpochSeconds, toEpochSeconds, type Day, type Instant } from './utc-day.js'

/** One endpoint of the topology version in force on the day (DESIGN §3.4), as a flat row. */
export interface TopologyEndpoint {
  readonly group: string
  readonly hostname: string
  readonly service: string
}

/** A probe result row (DESIGN §3.4); `status` is parsed case-insensitively. */
export interface ProbeResultInput {
  readonly timestamp: Instant
  readonly hostname: string
  readonly service: string
  readonly metric: string
  readonly status: string
  readonly monitoring_host?: string | null
}

export interface ComputeDayInput {
  readonly day: Day
  /** The report definition as `SlaReport` parsed it (defaults applied). */
  readonly report: SlaReport
  readonly topology: readonly TopologyEndpoint[]
  /** Results stamped inside the day. */
  readonly results: readonly ProbeResultInput[]
  /**
   * The last result before the day of each metric (more rows per metric are allowed; the latest
   * is used). It gives the status at 00:00 (Decision 4).
   */
  readonly carryOver: readonly ProbeResultInput[]
  /** Downtimes overlapping the day (others are ignored). */
  readonly downtimes: readonly DowntimeInput[]
  /** Recomputations of this report overlapping the day (others are ignored). */
  readonly recomputations: readonly Recomputation[]
}

/** Why an input row did not count; counted so the SLA manager can see what was ignored. */
export type DropReason =
  | 'invalid_timestamp'
  | 'invalid_status'
  | 'outside_day'
  | 'not_in_profile'
  | 'not_in_topology'
  | 'excluded_monitoring_host'

export interface DailyAr {
  readonly seconds: StatusSeconds
  readonly figures: ArFigures
}

export interface MetricRow {
  readonly group: string
  readonly service: string
  readonly hostname: string
  readonly metric: string
  readonly timeline: Timeline
}
export interface EndpointRow {
  readonly group: string
  readonly service: string
  readonly hostname: string
  readonly timeline: Timeline
  readonly ar: DailyAr
}
export interface ServiceRow {
  readonly group: string
  readonly service: string
  readonly timeline: Timeline
  readonly ar: DailyAr
}
/** Functions have timelines (for `/v1/status`) but no A/R: neither ARGO nor DESIGN §3.4 reports one. */
export interface FunctionRow {
  readonly group: string
  readonly function: string
  readonly timeline: Timeline
}
/** A group's `ar` counts its excluded periods as UNKNOWN; its `timeline` is the true status. */
export interface GroupRow {
  readonly group: string
  readonly timeline: Timeline
  readonly ar: DailyAr
}

export interface DayComputation {
  readonly day: Day
  readonly metrics: readonly MetricRow[]
  readonly endpoints: readonly EndpointRow[]
  readonly services: readonly ServiceRow[]
  readonly functions: readonly FunctionRow[]
  readonly groups: readonly GroupRow[]
  /** Results and carried-over results that did not count, by reason. */
  readonly dropped: Readonly<Record<DropReason, number>>
}

const key = (...parts: string[]): string => parts.join('\u0000')

/**
 * Everything of one report for one UTC day: status timelines at every level and daily A/R at the
 * endpoint, service and group levels, each from that level's own timeline (Decision 3). Pure:
 * storage reads the inputs and materialises the output.
 */
export function computeDay(input: ComputeDayInput): DayComputation {
  const start = dayStart(input.day)
  const profile = compileProfile(input.report)
  const exclusions = dayExclusions(start, input.recomputations)
  const topology = selectTopology(input, profile)
  const dropped: Record<DropReason, number> = {
    invalid_timestamp: 0, invalid_status: 0, outside_day: 0, not_in_profile: 0, not_in_topology: 0, excluded_monitoring_host: 0,
  }
  const accept = acceptor(profile, topology.endpoints, exclusions, dropped)

  const results = new Map<string, DayResult[]>()
  for (const row of input.results) {
    const r = accept(row, (at) => at >= start && at < start + DAY_SECONDS)
    if (r === undefined) continue
    const list = results.get(r.key) ?? []
    list.push({ at: r.at - start, status: r.status })
    results.set(r.key, list)
  }

  // The latest row wins before the exclusion test: when it came from an excluded monitoring host
  // the metric starts MISSING, as ARGO drops it after picking it (reference §1.2 steps 1–2).
  const latest = new Map<string, { at: number; status: ProbeStatus; monitoringHost: string | null | undefined }>()
  for (const row of input.carryOver) {
    const r = accept(row, (at) => at < start, false)
    if (r === undefined) continue
    const seen = latest.get(r.key)
    if (seen === undefined || r.at > seen.at || (r.at === seen.at && compareSeverity(r.status, seen.status) > 0)) {
      latest.set(r.key, { at: r.at, status: r.status, monitoringHost: row.monitoring_host })
    }
  }
  const carriedOver = new Map<string, ProbeStatus>()
  for (const [k, r] of latest) {
    if (isMonitoringHostExcluded(exclusions, r.monitoringHost, r.at)) dropped.excluded_monitoring_host++
    else carriedOver.set(k, r.status)
  }

  const downtimes = input.downtimes.flatMap((d) => {
    const window = downtimeWindow(start, requireEpochSeconds(d.start, 'downtime start'), requireEpochSeconds(d.end, 'downtime end'))
    return window === undefined ? [] : [{ downtime: d, window }]
  })

  const base = new Map<string, Timeline>()
  const output = {
    metrics: [] as MetricRow[],
    endpoints: [] as EndpointRow[],
    services: [] as ServiceRow[],
    functions: [] as FunctionRow[],
    groups: [] as GroupRow[],
  }
  for (const [group, endpoints] of topology.byGroup) {
    const withMetrics = endpoints.map(({ hostname, service }) => {
      const metrics = (profile.metricsByService.get(service) ?? []).map((metric) => {
        const k = key(hostname, service, metric)
        let timeline = base.get(k)
        if (timeline === undefined) {
          timeline = metricTimeline(carriedOver.get(k), results.get(k) ?? [])
          base.set(k, timeline)
        }
        timeline = overlayAll(timeline, excludedMetricWindows(exclusions, { group, hostname, service, metric }), 'EXCLUDED')
        output.metrics.push({ group, service, hostname, metric, timeline })
        return timeline
      })
      const covering = downtimes.filter((d) => downtimeCovers(d.downtime, { group, hostname, service })).map((d) => d.window)
      return { hostname, service, metrics, downtimes: covering }
    })
    const levels = aggregateGroup(profile, withMetrics)
    if (levels.group === undefined) continue
    for (const e of levels.endpoints) output.endpoints.push({ group, ...e, ar: dailyAr(e.timeline) })
    for (const s of levels.services) output.services.push({ group, ...s, ar: dailyAr(s.timeline) })
    for (const f of levels.functions) output.functions.push({ group, ...f })
    const arTimeline = overlayAll(levels.group, exclusions.groups.get(group) ?? [], 'UNKNOWN')
    output.groups.push({ group, timeline: levels.group, ar: dailyAr(arTimeline) })
  }
  return { day: input.day, ...output, dropped }
}

function dailyAr(timeline: Timeline): DailyAr {
  const seconds = statusSeconds(timeline)
  return { seconds, figures: arFigures(seconds) }
}

function overlayAll(timeline: Timeline, windows: readonly Window[], status: 'EXCLUDED' | 'UNKNOWN'): Timeline {
  return windows.reduce((acc, w) => overlay(acc, w, status), timeline)
}

/**
 * The report's endpoint groups (all when it names none) and in each the endpoints whose service
 * the profiles monitor; other endpoints take no part (reference §1.2 step 2). Groups are in name
 * order, endpoints in (service, hostname) order, each once, whatever the order of the rows.
 */
function selectTopology(input: ComputeDayInput, profile: CompiledProfile) {
  const wanted = input.report.groups === undefined ? undefined : new Set(input.report.groups)
  const byGroup = new Map<string, Map<string, { hostname: string; service: string }>>()
  const endpoints = new Set<string>()
  for (const { group, hostname, service } of input.topology) {
    if (wanted !== undefined && !wanted.has(group)) continue
    if ((profile.metricsByService.get(service) ?? []).length === 0) continue
    const inGroup = byGroup.get(group) ?? new Map<string, { hostname: string; service: string }>()
    inGroup.set(key(service, hostname), { hostname, service })
    byGroup.set(group, inGroup)
    endpoints.add(key(hostname, service))
  }
  const sorted = [...byGroup].sort(([a], [b]) => compareNames(a, b))
  return { byGroup: new Map(sorted.map(([g, m]) => [g, [...m].sort(([a], [b]) => compareNames(a, b)).map(([, e]) => e)])), endpoints }
}

/**
 * Validates one result row: a real timestamp inside the wanted span, a probe status, a metric the
 * profile expects for its service, an endpoint in the report's topology, and (when asked) not
 * from a monitoring host excluded at that time (reference §1.2 step 2, §1.6).
 */
function acceptor(profile: CompiledProfile, endpoints: ReadonlySet<string>, exclusions: DayExclusions, dropped: Record<DropReason, number>) {
  const drop = (reason: DropReason): undefined => {
    dropped[reason]++
    return undefined
  }
  return (row: ProbeResultInput, inSpan: (at: number) => boolean, checkMonitoringHost = true) => {
    const at = toEpochSeconds(row.timestamp)
    if (at === undefined) return drop('invalid_timestamp')
    if (!inSpan(at)) return drop('outside_day')
    const status = parseProbeStatus(row.status)
    if (status === undefined) return drop('invalid_status')
    if (!(profile.metricsByService.get(row.service) ?? []).includes(row.metric)) return drop('not_in_profile')
    if (!endpoints.has(key(row.hostname, row.service))) return drop('not_in_topology')
    if (checkMonitoringHost && isMonitoringHostExcluded(exclusions, row.monitoring_host, at)) return drop('excluded_monitoring_host')
    return { key: key(row.hostname, row.service, row.metric), at, status }
  }
}
