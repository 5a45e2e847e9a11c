import { createHash } from 'node:crypto'
import { computeDay, type ProbeResultInput, type TopologyEndpoint } from '../aggregators/availability/compute-day.js'
import type { DowntimeInput } from '../aggregators/availability/downtimes.js'
import { compileProfile } from '../aggregators/availability/levels.js'
import { dayExclusions, isMonitoringHostExcluded, type DayExclusions } from '../aggregators/availability/recomputation.js'
import { DAY_SECONDS, dayStart } from '../aggregators/availability/utc-day.js'
import type { Store } from '../platform/clickhouse/store.js'
import { carryIn, dayResults, type MetricResults, type ResultPoint } from './day-inputs.queries.js'
import type { DirtyMark } from './dirty-marks.store.js'
import type { DowntimeStore } from './downtime-store.js'
import { carryInOf, presentGroups } from './availability.queries.js'
import { MaterialisedRows } from './materialised-rows.js'
import type { Groups } from './recompute-queue.js'
import type { RecomputationStore } from './recomputation-store.js'
import type { SlaReportStore } from './sla-report-store.js'
import { nextDay, type TopologyStore } from './topology-store.js'

/** Endpoints per computeDay call: the event loop gets a turn between chunks (~100 ms each). */
const CHUNK_ENDPOINTS = 100

export interface MaterialiserDeps {
  store: Store
  topology: TopologyStore
  reports: SlaReportStore
  downtimes: DowntimeStore
  recomputations: RecomputationStore
  /** Brings the definitions above up to date before a day is computed (where other processes change them). */
  current?: () => Promise<unknown>
}

const k3 = (hostname: string, service: string, metric: string) => `${hostname}\u0000${service}\u0000${metric}`
const k2 = (hostname: string, service: string) => `${hostname}\u0000${service}`

/**
 * Recomputes one report's day for some groups (or all) with the pure core `computeDay`, and
 * stores the status changes and daily A/R of every level under a new version. Returns marks for
 * the next day's groups whose start-of-day status changed (their stored carry-in differs).
 */
export function createMaterialiser(deps: MaterialiserDeps) {
  return async function materialise(report: string, day: string, groups: Groups, version: number): Promise<DirtyMark[]> {
    await deps.current?.()
    const stored = deps.reports.get(report)
    if (stored === undefined) return []
    const definition = stored.definition
    const profile = compileProfile(definition)
    const topo = deps.topology.at(day)
    const inReport = definition.groups === undefined ? undefined : new Set(definition.groups)

    // The report's endpoints of the day, by group; a group with no monitored endpoint is absent.
    const byGroup = new Map<string, TopologyEndpoint[]>()
    for (const e of topo?.flat ?? []) {
      if (inReport !== undefined && !inReport.has(e.group)) continue
      if ((profile.metricsByService.get(e.service) ?? []).length === 0) continue
      const list = byGroup.get(e.group) ?? []
      list.push(e)
      byGroup.set(e.group, list)
    }
    const target = [...byGroup.keys()].filter((g) => groups === 'all' || groups.has(g)).sort()
    const gone =
      groups === 'all'
        ? (await presentGroups(deps.store, report, day)).filter((g) => !byGroup.has(g))
        : [...groups].filter((g) => g !== '' && !byGroup.has(g))

    const endpoints = target.flatMap((g) => byGroup.get(g) ?? [])
    const hosts = groups === 'all' ? undefined : [...new Set(endpoints.map((e) => e.hostname))]
    const start = dayStart(day)
    const [results, carry, downtimes] = await Promise.all([
      endpoints.length ? dayResults(deps.store, day, hosts) : [],
      endpoints.length ? carryIn(deps.store, day, hosts) : [],
      endpoints.length ? deps.downtimes.overlapping(start * 1000, (start + DAY_SECONDS) * 1000) : [],
    ])
    const recomputations = deps.recomputations.of(report).map((r) => r.recomputation)
    const exclusions = dayExclusions(start, recomputations)

    const resultsByEndpoint = groupByEndpoint(results)
    const carryByEndpoint = groupByEndpoint(carry)
    const downtimeInputs: DowntimeInput[] = downtimes.map((d) => ({
      start: new Date(d.start),
      end: new Date(d.end),
      group: d.group,
      hostname: d.hostname,
      service: d.service,
    }))

    const rows = new MaterialisedRows(report, day, version)
    const pointers: { group: string; present: boolean; carryIn: string }[] = gone.map((group) => ({ group, present: false, carryIn: '' }))
    const carryOut = new Map<string, string>()
    for (const chunk of chunks(target, byGroup)) {
      const chunkEndpoints = chunk.flatMap((g) => byGroup.get(g) ?? [])
      const seen = new Set<string>()
      const chunkResults: ProbeResultInput[] = []
      const chunkCarry: ProbeResultInput[] = []
      for (const e of chunkEndpoints) {
        const k = k2(e.hostname, e.service)
        if (seen.has(k)) continue
        seen.add(k)
        for (const m of resultsByEndpoint.get(k) ?? []) pushInputs(chunkResults, m)
        for (const m of carryByEndpoint.get(k) ?? []) pushInputs(chunkCarry, m)
      }
      const computation = computeDay({
        day,
        report: definition,
        topology: chunkEndpoints,
        results: chunkResults,
        carryOver: chunkCarry,
        downtimes: downtimeInputs,
        recomputations,
      })
      rows.add(computation)
      for (const g of chunk) {
        const expected = (byGroup.get(g) ?? []).flatMap((e) => (profile.metricsByService.get(e.service) ?? []).map((metric) => k3(e.hostname, e.service, metric)))
        const signatures = carrySignatures(expected, resultsByEndpoint, carryByEndpoint, exclusions)
        pointers.push({ group: g, present: true, carryIn: signatures.in })
        carryOut.set(g, signatures.out)
      }
      await new Promise((r) => setImmediate(r))
    }
    await rows.write(deps.store, pointers)

    const next = nextDay(day)
    if (carryOut.size === 0) return []
    const nextCarryIn = await carryInOf(deps.store, report, next, [...carryOut.keys()])
    const marks: DirtyMark[] = []
    for (const [group, signature] of carryOut) {
      const previous = nextCarryIn.get(group)
      if (previous !== undefined && previous !== signature) marks.push({ report, day: next, group })
    }
    return marks
  }
}

function* chunks(groups: readonly string[], byGroup: ReadonlyMap<string, readonly TopologyEndpoint[]>): Generator<string[]> {
  let chunk: string[] = []
  let size = 0
  for (const g of groups) {
    chunk.push(g)
    size += byGroup.get(g)?.length ?? 0
    if (size >= CHUNK_ENDPOINTS) {
      yield chunk
      chunk = []
      size = 0
    }
  }
  if (chunk.length) yield chunk
}

function groupByEndpoint(rows: readonly MetricResults[]): Map<string, MetricResults[]> {
  const map = new Map<string, MetricResults[]>()
  for (const r of rows) {
    const k = k2(r.hostname, r.service)
    const list = map.get(k) ?? []
    list.push(r)
    map.set(k, list)
  }
  return map
}

function pushInputs(into: ProbeResultInput[], m: MetricResults): void {
  for (const p of m.points) {
    into.push({ timestamp: new Date(p.at * 1000), hostname: m.hostname, service: m.service, metric: m.metric, status: p.status, monitoring_host: p.monitoringHost })
  }
}

/** The later result, the worse status on the same second (the core's rule). */
function later(a: ResultPoint | undefined, b: ResultPoint): ResultPoint {
  if (a === undefined || b.at > a.at) return b
  if (b.at === a.at && SEVERITY_RANK[b.status] > SEVERITY_RANK[a.status]) return b
  return a
}
const SEVERITY_RANK = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 } as const

/**
 * What a group's metrics carry into this day and out of it: each expected metric's effective
 * start-of-day status (MISSING when there is no earlier result or it came from an excluded
 * monitoring host), hashed. The next day's stored carry-in is compared with this day's carry-out.
 */
function carrySignatures(
  expected: readonly string[],
  results: ReadonlyMap<string, readonly MetricResults[]>,
  carry: ReadonlyMap<string, readonly MetricResults[]>,
  exclusions: DayExclusions,
): { in: string; out: string } {
  const lastOf = (map: ReadonlyMap<string, readonly MetricResults[]>, key: string): ResultPoint | undefined => {
    const [hostname = '', service = '', metric = ''] = key.split('\u0000')
    let last: ResultPoint | undefined
    for (const m of map.get(k2(hostname, service)) ?? []) if (m.metric === metric) for (const p of m.points) last = later(last, p)
    return last
  }
  const effective = (p: ResultPoint | undefined) => (p === undefined || isMonitoringHostExcluded(exclusions, p.monitoringHost, p.at) ? '-' : p.status)
  const inHash = createHash('sha256')
  const outHash = createHash('sha256')
  for (const key of [...new Set(expected)].sort()) {
    const before = lastOf(carry, key)
    const today = lastOf(results, key)
    inHash.update(`${key}=${effective(before)}\n`)
    outHash.update(`${key}=${effective(today ?? before)}\n`)
  }
  return { in: inHash.digest('hex').slice(0, 32), out: outHash.digest('hex').slice(0, 32) }
}
