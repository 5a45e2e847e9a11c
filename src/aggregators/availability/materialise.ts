import type { ArFigures, StatusSeconds } from './availability.js'
import type { DayComputation } from './compute-day.js'
import { STATUSES, type Status } from './status.js'
import type { Timeline } from './timeline.js'
import { dayStart, isoSeconds, type Day } from './utc-day.js'

/**
 * Flat rows for storage: one per status change and one per daily A/R, at every level, with ''
 * in the key columns a level does not have (ClickHouse prefers '' to Nullable keys).
 */
export type Level = 'group' | 'function' | 'service' | 'endpoint' | 'metric'

export interface ItemKey {
  readonly level: Level
  readonly group: string
  readonly function: string
  readonly service: string
  readonly hostname: string
  readonly metric: string
}

export interface StatusChangeRow extends ItemKey {
  readonly day: Day
  /** Seconds after 00:00:00Z of the day. */
  readonly at: number
  /** RFC 3339, `YYYY-MM-DDThh:mm:ssZ`. */
  readonly timestamp: string
  readonly status: Status
}

/** Seconds per status (`seconds_ok` … `seconds_excluded`), then the rounded daily figures. */
export type DailyArRow = ItemKey & { readonly day: Day } & Readonly<Record<`seconds_${Lowercase<Status>}`, number>> & ArFigures

const item = (level: Level, k: Partial<Omit<ItemKey, 'level'>>): ItemKey => ({
  level, group: k.group ?? '', function: k.function ?? '', service: k.service ?? '', hostname: k.hostname ?? '', metric: k.metric ?? '',
})

export function statusChangeRows(computation: DayComputation): StatusChangeRow[] {
  const start = dayStart(computation.day)
  const rows: StatusChangeRow[] = []
  const add = (key: ItemKey, timeline: Timeline) => {
    for (const p of timeline) rows.push({ ...key, day: computation.day, at: p.at, timestamp: isoSeconds(start + p.at), status: p.status })
  }
  for (const m of computation.metrics) add(item('metric', m), m.timeline)
  for (const e of computation.endpoints) add(item('endpoint', e), e.timeline)
  for (const s of computation.services) add(item('service', s), s.timeline)
  for (const f of computation.functions) add(item('function', f), f.timeline)
  for (const g of computation.groups) add(item('group', g), g.timeline)
  return rows
}

export function dailyArRows(computation: DayComputation): DailyArRow[] {
  const row = (key: ItemKey, ar: { seconds: StatusSeconds; figures: ArFigures }): DailyArRow => ({
    ...key,
    day: computation.day,
    ...(Object.fromEntries(STATUSES.map((s) => [`seconds_${s.toLowerCase()}`, ar.seconds[s]])) as Record<`seconds_${Lowercase<Status>}`, number>),
    ...ar.figures,
  })
  return [
    ...computation.endpoints.map((e) => row(item('endpoint', e), e.ar)),
    ...computation.services.map((s) => row(item('service', s), s.ar)),
    ...computation.groups.map((g) => row(item('group', g), g.ar)),
  ]
}

/** Back from a stored A/R row to the seconds that `rollUp` sums. */
export function secondsOfRow(row: Readonly<Record<`seconds_${Lowercase<Status>}`, number | string>>): StatusSeconds {
  // ClickHouse returns 64-bit integers as strings.
  return Object.fromEntries(STATUSES.map((s) => [s, Number(row[`seconds_${s.toLowerCase() as Lowercase<Status>}`])])) as Record<Status, number>
}
