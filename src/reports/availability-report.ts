import { z } from 'zod'
import { arFigures, type StatusSeconds } from '../aggregators/availability/availability.js'
import { groupOfGroupsAr } from '../aggregators/availability/groups-of-groups.js'
import { daysOfMonth } from '../aggregators/availability/utc-day.js'
import type { ArRow, AvailabilityService, GroupScope } from '../monitoring/availability-service.js'
import { dataSeq } from '../monitoring/availability.queries.js'
import type { DowntimeStore, StoredDowntime } from '../monitoring/downtime-store.js'
import { RecomputationOut, recomputationOut, type RecomputationStore } from '../monitoring/recomputation-store.js'
import type { TopologyStore } from '../monitoring/topology-store.js'
import type { Store } from '../platform/clickhouse/store.js'

/** A/R in percent (5 decimals; null when undefined: no known time) and fractions of the period, 0–1. */
export const Figures = {
  availability: z.number().nullable(),
  reliability: z.number().nullable(),
  uptime: z.number(),
  unknown: z.number(),
  downtime: z.number(),
  excluded: z.number(),
}
const Flag = z.boolean().nullable()

/** The monthly SLA report document (DESIGN §3.4): what JSON returns and CSV/HTML render. */
export const AvailabilityReportDoc = z.object({
  report: z.string(),
  month: z.string(),
  from: z.string(),
  to: z.string(),
  /** false while the month is still running: figures then cover the days so far. */
  closed: z.boolean(),
  generated_at: z.string(),
  thresholds: z.object({ availability: z.number(), reliability: z.number(), uptime: z.number(), unknown: z.number(), downtime: z.number() }),
  summary: z.object({ groups: z.number().int(), groups_in_breach: z.number().int() }),
  groups: z.array(
    z.object({
      group: z.string(),
      type: z.string(),
      provider: z.string(),
      resource: z.string().nullable(),
      ...Figures,
      days: z.number().int(),
      computed_days: z.number().int(),
      breach: z.boolean(),
      breaches: z.object({ availability: Flag, reliability: Flag, uptime: Flag, unknown: Flag, downtime: Flag }),
      daily: z.array(z.object({ day: z.string(), ...Figures })),
    }),
  ),
  /** Groups of groups (Decision 8): time-weighted over all members' seconds, and ARGO's mean of daily A/R. */
  providers: z.array(
    z.object({
      provider: z.string(),
      groups: z.number().int(),
      time_weighted: z.object(Figures),
      mean_of_daily: z.object({ availability: z.number().nullable(), reliability: z.number().nullable() }),
    }),
  ),
  downtimes: z.array(
    z.object({
      downtime_id: z.string(),
      group: z.string(),
      hostname: z.string(),
      service: z.string(),
      start: z.string(),
      end: z.string(),
      reason: z.string(),
      /** The report's groups it covers. */
      groups: z.array(z.string()),
    }),
  ),
  recomputations: z.array(RecomputationOut.omit({ report: true })),
})
export type AvailabilityReportDoc = z.infer<typeof AvailabilityReportDoc>

export interface AvailabilityReportDeps {
  store: Store
  availability: AvailabilityService
  topology: TopologyStore
  downtimes: DowntimeStore
  recomputations: RecomputationStore
  today(): string
  now(): number
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const isoOf = (v: string | Date) => (v instanceof Date ? iso(v.getTime()) : v)

/**
 * Builds, stores and serves monthly availability reports. A stored report is served as long as no
 * day of its month was recomputed since (and its month has not closed since); otherwise it is
 * generated again from the materialised days, so the figures served are always current, and a
 * month whose data did not change regenerates to the same figures.
 */
export class AvailabilityReports {
  private lastVersion = 0

  constructor(private readonly deps: AvailabilityReportDeps) {}

  /** The stored report when still current, else a freshly generated (and stored) one. */
  async get(report: string, month: string): Promise<AvailabilityReportDoc> {
    const days = this.monthDays(month)
    await this.deps.availability.settle(report, days.from, days.to)
    const [seq, stored] = await Promise.all([dataSeq(this.deps.store, report, days.from, days.to), this.stored(report, month)])
    if (stored !== undefined && stored.data_seq === seq && stored.doc.closed === days.closed) return stored.doc
    return this.generate(report, month, true)
  }

  /** Generates the report now from the materialised days (brought up to date first) and stores it. */
  async generate(report: string, month: string, settled = false): Promise<AvailabilityReportDoc> {
    const days = this.monthDays(month)
    if (!settled) await this.deps.availability.settle(report, days.from, days.to)
    const [rows, downtimes, seq] = await Promise.all([
      this.deps.availability.ar({ report, from: days.from, to: days.to, granularity: 'month', level: 'group', scope: '*', settled: true }),
      this.deps.downtimes.overlapping(Date.parse(`${days.from}T00:00:00Z`), Date.parse(`${days.to}T00:00:00Z`) + 86_400_000),
      dataSeq(this.deps.store, report, days.from, days.to),
    ])
    const doc = this.build(report, month, rows, downtimes)
    // One JSONEachRow line: a ~0.5 MB body escaped natively, not as a query parameter.
    this.lastVersion = Math.max(this.deps.now() * 1000, this.lastVersion + 1)
    const row = { report, month, body: JSON.stringify(doc), data_seq: seq, generated_at: this.deps.now(), version: this.lastVersion }
    await this.deps.store.insertNdjson('availability_reports', JSON.stringify(row))
    return doc
  }

  /** Months that have closed but have no stored report (the scheduler's catch-up after downtime). */
  async missing(report: string, months: readonly string[]): Promise<string[]> {
    if (months.length === 0) return []
    const rows = await this.deps.store.query(
      `SELECT DISTINCT month FROM availability_reports WHERE report = {report:String} AND month IN {months:Array(String)}`,
      { report, months },
      z.object({ month: z.string() }),
    )
    const have = new Set(rows.map((r) => r.month))
    return months.filter((m) => !have.has(m))
  }

  private async stored(report: string, month: string): Promise<{ doc: AvailabilityReportDoc; data_seq: number } | undefined> {
    const [row] = await this.deps.store.query(
      `SELECT argMax(body, version) AS body, argMax(data_seq, version) AS data_seq FROM availability_reports
       WHERE report = {report:String} AND month = {month:String} GROUP BY report, month`,
      { report, month },
      z.object({ body: z.string(), data_seq: z.coerce.number() }),
    )
    if (row === undefined) return undefined
    const parsed = AvailabilityReportDoc.safeParse(JSON.parse(row.body))
    return parsed.success ? { doc: parsed.data, data_seq: row.data_seq } : undefined
  }

  private monthDays(month: string) {
    const all = daysOfMonth(month)
    const from = all[0] ?? `${month}-01`
    const to = all[all.length - 1] ?? from
    return { from, to, closed: to < this.deps.today() }
  }

  private build(report: string, month: string, rows: readonly ArRow[], stored: readonly StoredDowntime[]): AvailabilityReportDoc {
    const { availability, topology } = this.deps
    const definition = availability.report(report).definition
    const { from, to, closed } = this.monthDays(month)
    // Group metadata from the topology in force at the end of the month (or today, if earlier).
    const at = topology.at(closed ? to : this.deps.today())
    const groups = rows.map((r) => {
      const meta = at?.groups.get(r.group)
      const b = r.breaches ?? { availability: null, reliability: null, uptime: null, unknown: null, downtime: null, any: false }
      return {
        group: r.group,
        type: meta?.type ?? '',
        provider: meta?.provider ?? '',
        resource: meta?.resource ?? null,
        ...r.figures,
        days: r.days,
        computed_days: r.computed_days,
        breach: b.any,
        breaches: { availability: b.availability, reliability: b.reliability, uptime: b.uptime, unknown: b.unknown, downtime: b.downtime },
        daily: [...r.daily].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, seconds]) => ({ day, ...arFigures(seconds) })),
      }
    })

    const byProvider = new Map<string, Map<string, ReadonlyMap<string, StatusSeconds>>>()
    const providerDays = new Map<string, Set<string>>()
    for (const r of rows) {
      const provider = at?.groups.get(r.group)?.provider ?? ''
      let members = byProvider.get(provider)
      if (members === undefined) byProvider.set(provider, (members = new Map()))
      members.set(r.group, r.daily)
      const days = providerDays.get(provider) ?? new Set<string>()
      for (const d of r.daily.keys()) days.add(d)
      providerDays.set(provider, days)
    }
    const providers = [...byProvider]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([provider, members]) => {
        const gog = groupOfGroupsAr([...(providerDays.get(provider) ?? [])].sort(), members)
        return { provider, groups: members.size, time_weighted: gog.time_weighted, mean_of_daily: gog.mean_of_daily }
      })
      .filter((p) => p.groups > 0 && (providerDays.get(p.provider)?.size ?? 0) > 0)

    const groupSet = new Set(rows.map((r) => r.group))
    const startMs = Date.parse(`${from}T00:00:00Z`)
    const endMs = Date.parse(`${to}T00:00:00Z`) + 86_400_000
    const downtimes = stored
      .map((d) => {
        const covered = (d.group !== '' ? [d.group] : [...topology.groupsOfEndpoint(d.hostname, d.service)]).filter((g) => groupSet.has(g)).sort()
        return { downtime_id: d.downtime_id, group: d.group, hostname: d.hostname, service: d.service, start: iso(d.start), end: iso(d.end), reason: d.reason, groups: covered }
      })
      .filter((d) => d.groups.length > 0)

    const recomputations = this.deps.recomputations
      .of(report)
      .filter((r) => Date.parse(isoOf(r.recomputation.start)) < endMs && Date.parse(isoOf(r.recomputation.end)) > startMs)
      .map((r) => {
        const { report: _report, ...out } = recomputationOut(r)
        return out
      })

    return {
      report,
      month,
      from,
      to,
      closed,
      generated_at: iso(this.deps.now()),
      thresholds: { ...definition.thresholds },
      summary: { groups: groups.length, groups_in_breach: groups.filter((g) => g.breach).length },
      groups,
      providers,
      downtimes,
      recomputations,
    }
  }
}

/** What a provider token sees of a report: its own groups, their downtimes, and the recomputations touching them. */
export function scopeReport(doc: AvailabilityReportDoc, scope: GroupScope, ownGroups: ReadonlySet<string>): AvailabilityReportDoc {
  if (scope === '*') return doc
  const providers = new Set(scope)
  const groups = doc.groups.filter((g) => ownGroups.has(g.group))
  return {
    ...doc,
    summary: { groups: groups.length, groups_in_breach: groups.filter((g) => g.breach).length },
    groups,
    providers: doc.providers.filter((p) => providers.has(p.provider)),
    downtimes: doc.downtimes.filter((d) => d.groups.some((g) => ownGroups.has(g))).map((d) => ({ ...d, groups: d.groups.filter((g) => ownGroups.has(g)) })),
    recomputations: doc.recomputations.filter((r) => r.group === undefined || ownGroups.has(r.group)),
  }
}
