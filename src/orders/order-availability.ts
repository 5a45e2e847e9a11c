import { addSeconds, arFigures, NO_SECONDS, rollUp, type ArFigures, type StatusSeconds } from '../aggregators/availability/availability.js'
import { dayStart, DAY_SECONDS, daysOfMonth } from '../aggregators/availability/utc-day.js'
import { dailyRows } from '../monitoring/availability.queries.js'
import type { Monitoring } from '../monitoring/monitoring.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { ActiveWindow } from './order-types.js'

export interface OrderAvailability {
  report: string
  month: string
  /** Days of the month the order was active at some point (UTC). */
  active_days: string[]
  /** The resource's endpoint groups (topology `resource`) with their A/R over the active days. */
  groups: { group: string; days: number; computed_days: number; figures: ArFigures }[]
  /** All those groups together, time-weighted from exact seconds. */
  figures: ArFigures | null
}

/**
 * The availability of an order's resource weighted by the days the order was active in a month
 * (DESIGN §3.5): the resource's endpoint groups, found through the topology's `resource` of each
 * day, rolled up over the active days only, from the stored daily seconds (brought up to date
 * first, so late results count).
 */
export async function orderAvailability(
  deps: { store: Store; monitoring: Monitoring },
  q: { report: string; month: string; resourceNames: readonly string[]; windows: readonly ActiveWindow[] },
): Promise<OrderAvailability> {
  const today = deps.monitoring.today()
  const active = daysOfMonth(q.month).filter((d) => d <= today && q.windows.some((w) => overlapsDay(w, d)))
  const names = new Set(q.resourceNames)
  const groupDays = new Map<string, string[]>()
  for (const day of active) {
    for (const g of deps.monitoring.topology.at(day)?.groups.values() ?? []) {
      if (g.resource === undefined || !names.has(g.resource)) continue
      const days = groupDays.get(g.group) ?? []
      days.push(day)
      groupDays.set(g.group, days)
    }
  }
  const first = active[0]
  const last = active[active.length - 1]
  if (first === undefined || last === undefined || groupDays.size === 0) {
    return { report: q.report, month: q.month, active_days: active, groups: [], figures: null }
  }
  await deps.monitoring.availability.settle(q.report, first, last)
  const rows = await dailyRows(deps.store, { report: q.report, level: 'group', from: first, to: last, groups: [...groupDays.keys()] })
  const daily = new Map<string, Map<string, StatusSeconds>>()
  for (const r of rows) {
    const m = daily.get(r.group) ?? new Map<string, StatusSeconds>()
    m.set(r.day, r.seconds)
    daily.set(r.group, m)
  }
  let total = NO_SECONDS
  const groups = [...groupDays].sort(([a], [b]) => (a < b ? -1 : 1)).map(([group, days]) => {
    const range = rollUp(days, daily.get(group) ?? new Map())
    total = addSeconds(total, range.seconds)
    return { group, days: range.days, computed_days: range.computed_days, figures: range.figures }
  })
  return { report: q.report, month: q.month, active_days: active, groups, figures: arFigures(total) }
}

function overlapsDay(w: ActiveWindow, day: string): boolean {
  const start = dayStart(day) * 1000
  const end = start + DAY_SECONDS * 1000
  return Date.parse(w.from) < end && (w.to === null || Date.parse(w.to) > start)
}
