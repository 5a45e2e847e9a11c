import { breaches, rollUp, type ArFigures, type Breaches, type StatusSeconds } from '../aggregators/availability/availability.js'
import type { Thresholds } from '../aggregators/availability/profiles.js'
import type { Status } from '../aggregators/availability/status.js'
import { dayStart, daysInRange, isoSeconds } from '../aggregators/availability/utc-day.js'
import type { Store } from '../platform/clickhouse/store.js'
import { badRequest, forbidden, notFound } from '../platform/errors.js'
import { dailyRows, statusRows, type ArLevel, type StatusLevel } from './availability.queries.js'
import { ExpectedItemsCache, itemKey, type Item } from './expected-items.js'
import type { RecomputeQueue } from './recompute-queue.js'
import type { SlaReportStore, StoredReport } from './sla-report-store.js'
import type { TopologyStore } from './topology-store.js'

export type Granularity = 'day' | 'month' | 'range'

/** Who may see which groups: every group, or those of the listed providers. */
export type GroupScope = '*' | readonly string[]

/** A read may span at most this many days (each uncomputed day costs a recompute). */
export const MAX_RANGE_DAYS = 400

export interface ArQuery {
  readonly report: string
  readonly from: string
  readonly to: string
  readonly granularity: Granularity
  readonly level: ArLevel
  readonly group?: string
  readonly scope: GroupScope
  /** The caller has just settled the range (skips a second round of checks). */
  readonly settled?: boolean
}

export interface ArRow extends Item {
  readonly period: string
  readonly figures: ArFigures
  /** Days of the period the item existed (up to today), and how many of them have a computation. */
  readonly days: number
  readonly computed_days: number
  /** Targets are judged on month and range figures only (Decision 9). */
  readonly breaches?: Breaches
  /** The item's daily seconds, for callers that show daily values next to a period. */
  readonly daily: ReadonlyMap<string, StatusSeconds>
}

export interface StatusQuery {
  readonly report: string
  readonly from: string
  readonly to: string
  readonly level: StatusLevel
  readonly group?: string
  readonly service?: string
  readonly hostname?: string
  readonly metric?: string
  readonly scope: GroupScope
}

export interface StatusTimeline {
  readonly group: string
  readonly function: string
  readonly service: string
  readonly hostname: string
  readonly metric: string
  readonly statuses: readonly { readonly timestamp: string; readonly status: Status }[]
}

/**
 * Availability reads over the materialised tables: bring the days up to date (the queue's
 * `settle`), read the daily seconds, roll them up per period from exact seconds (Decision 7),
 * judge month and range figures against the report's targets.
 */
export class AvailabilityService {
  private readonly items = new ExpectedItemsCache()

  constructor(
    private readonly deps: { store: Store; topology: TopologyStore; reports: SlaReportStore; queue: RecomputeQueue; today(): string },
  ) {}

  report(name: string): StoredReport {
    const report = this.deps.reports.get(name)
    if (report === undefined) throw notFound(`no SLA report '${name}'`)
    return report
  }

  thresholds(name: string): Thresholds {
    return this.report(name).definition.thresholds
  }

  /** The groups a scope may read, narrowed to `group` when given; undefined = no restriction. */
  visibleGroups(scope: GroupScope, group?: string): string[] | undefined {
    if (scope === '*') return group === undefined ? undefined : [group]
    const own = this.deps.topology.groupsOfProviders(scope)
    if (group !== undefined) {
      if (!own.has(group)) throw forbidden(`group '${group}' does not belong to this token's providers`)
      return [group]
    }
    return [...own].sort()
  }

  /** The days of a range that have happened (UTC), checked against the range limit. */
  pastDays(from: string, to: string): string[] {
    if (from > to) throw badRequest('INVALID_RANGE', 'from must not be after to')
    const all = daysInRange(from, to)
    if (all.length > MAX_RANGE_DAYS) throw badRequest('RANGE_TOO_LONG', `at most ${MAX_RANGE_DAYS} days per request`)
    const today = this.deps.today()
    return all.filter((d) => d <= today)
  }

  /** Brings every past day of the range up to date for the report. */
  async settle(report: string, from: string, to: string): Promise<void> {
    this.report(report)
    await this.deps.queue.settle(report, this.pastDays(from, to))
  }

  async ar(q: ArQuery): Promise<ArRow[]> {
    const report = this.report(q.report)
    const days = this.pastDays(q.from, q.to)
    const groups = this.visibleGroups(q.scope, q.group)
    const last = days[days.length - 1]
    if (last === undefined || (groups !== undefined && groups.length === 0)) return []
    if (!q.settled) await this.deps.queue.settle(q.report, days)
    const rows = await dailyRows(this.deps.store, { report: q.report, level: q.level, from: q.from, to: last, groups })

    const daily = new Map<string, Map<string, StatusSeconds>>()
    for (const r of rows) {
      const k = itemKey(r)
      let m = daily.get(k)
      if (m === undefined) daily.set(k, (m = new Map()))
      m.set(r.day, r.seconds)
    }

    // Per item and period, the days it existed (from the topology in force each day).
    const wanted = groups === undefined ? undefined : new Set(groups)
    const periods = new Map<string, { item: Item; period: string; days: string[] }>()
    for (const day of days) {
      const expected = this.items.get(report.definition, this.deps.topology.at(day))[q.level]
      const period = q.granularity === 'day' ? day : q.granularity === 'month' ? day.slice(0, 7) : `${q.from}/${q.to}`
      for (const [k, item] of expected) {
        if (wanted !== undefined && !wanted.has(item.group)) continue
        const pk = `${k}\u0000${period}`
        let p = periods.get(pk)
        if (p === undefined) periods.set(pk, (p = { item, period, days: [] }))
        p.days.push(day)
      }
    }

    const judged = q.granularity !== 'day'
    const out: ArRow[] = []
    for (const { item, period, days: itemDays } of periods.values()) {
      const seconds = daily.get(itemKey(item)) ?? new Map<string, StatusSeconds>()
      const range = rollUp(itemDays, seconds)
      out.push({
        ...item,
        period,
        figures: range.figures,
        days: range.days,
        computed_days: range.computed_days,
        ...(judged ? { breaches: breaches(range.figures, report.definition.thresholds) } : {}),
        daily: new Map(itemDays.flatMap((d) => {
          const s = seconds.get(d)
          return s === undefined ? [] : [[d, s] as const]
        })),
      })
    }
    return out.sort((a, b) => cmp(a.group, b.group) || cmp(a.service, b.service) || cmp(a.hostname, b.hostname) || cmp(a.period, b.period))
  }

  async status(q: StatusQuery): Promise<StatusTimeline[]> {
    this.report(q.report)
    const days = this.pastDays(q.from, q.to)
    const groups = this.visibleGroups(q.scope, q.group)
    const last = days[days.length - 1]
    if (last === undefined || (groups !== undefined && groups.length === 0)) return []
    await this.deps.queue.settle(q.report, days)
    const rows = await statusRows(this.deps.store, {
      report: q.report,
      level: q.level,
      from: q.from,
      to: last,
      groups,
      service: q.service,
      hostname: q.hostname,
      metric: q.metric,
    })
    const out: StatusTimeline[] = []
    let current: { key: string; timeline: StatusTimeline & { statuses: { timestamp: string; status: Status }[] } } | undefined
    for (const r of rows) {
      const key = [r.group, r.function, r.service, r.hostname, r.metric].join('\u0000')
      if (current === undefined || current.key !== key) {
        current = { key, timeline: { group: r.group, function: r.function, service: r.service, hostname: r.hostname, metric: r.metric, statuses: [] } }
        out.push(current.timeline)
      }
      const statuses = current.timeline.statuses
      // A day starts with its carried-over status: not a change when it continues the day before.
      if (statuses[statuses.length - 1]?.status === r.status) continue
      statuses.push({ timestamp: isoSeconds(dayStart(r.day) + r.at), status: r.status })
    }
    return out
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
