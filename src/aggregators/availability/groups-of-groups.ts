import { addSeconds, arFigures, NO_SECONDS, rollUp, round5, type ArFigures, type StatusSeconds } from './availability.js'
import type { Day } from './utc-day.js'

/**
 * Groups of groups (a provider over its resources, an NGI over its sites) have no timeline of
 * their own (reference §1.2, §4.2). Decision 8: offer ARGO's mean of daily percentages, labelled,
 * beside the time-weighted figure over all members' seconds.
 */
export interface GroupOfGroupsAr {
  /** Every member-day's seconds summed; a member-day never computed counts as MISSING. */
  readonly time_weighted: ArFigures
  /**
   * ARGO's supergroup figure: per day the mean of the members' daily A (and R) that are defined,
   * then the mean of those daily means over the days that have one. Unweighted, as ARGO v3 writes
   * weight 0 for every group (§4.2).
   */
  readonly mean_of_daily: { readonly availability: number | null; readonly reliability: number | null }
  readonly member_days: number
  readonly computed_member_days: number
}

export function groupOfGroupsAr(days: readonly Day[], members: ReadonlyMap<string, ReadonlyMap<Day, StatusSeconds>>): GroupOfGroupsAr {
  let seconds = NO_SECONDS
  let computed = 0
  for (const daily of members.values()) {
    const range = rollUp(days, daily)
    seconds = addSeconds(seconds, range.seconds)
    computed += range.computed_days
  }
  // Undefined values are skipped, as ARGO gives them weight 0 and `$avg` skips "nan" (§4.2).
  const dailyA: number[] = []
  const dailyR: number[] = []
  for (const day of days) {
    const figures = [...members.values()].flatMap((daily) => {
      const s = daily.get(day)
      return s === undefined ? [] : [arFigures(s)]
    })
    const a = average(figures.flatMap((f) => (f.availability === null ? [] : [f.availability])))
    const r = average(figures.flatMap((f) => (f.reliability === null ? [] : [f.reliability])))
    if (a !== null) dailyA.push(a)
    if (r !== null) dailyR.push(r)
  }
  const a = average(dailyA)
  const r = average(dailyR)
  return {
    time_weighted: arFigures(seconds),
    mean_of_daily: { availability: a === null ? null : round5(a), reliability: r === null ? null : round5(r) },
    member_days: days.length * members.size,
    computed_member_days: computed,
  }
}

function average(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((x, y) => x + y, 0) / values.length
}
