import type { Thresholds } from './profiles.js'
import { STATUSES, type Status } from './status.js'
import type { Timeline } from './timeline.js'
import { DAY_SECONDS, type Day } from './utc-day.js'

/**
 * Availability and reliability from exact seconds (reference §3; Decisions 6, 7, 13, 14).
 * Seconds per status are what gets stored; every figure is derived from them, so a month is
 * the sum of its days' seconds, never an average of rounded values.
 */
export type StatusSeconds = Readonly<Record<Status, number>>

export const NO_SECONDS: StatusSeconds = Object.freeze(Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>)

/** How long the day spends in each status. */
export function statusSeconds(timeline: Timeline): StatusSeconds {
  const seconds: Record<Status, number> = { ...NO_SECONDS }
  timeline.forEach((point, i) => {
    seconds[point.status] += (timeline[i + 1]?.at ?? DAY_SECONDS) - point.at
  })
  return seconds
}

export function addSeconds(a: StatusSeconds, b: StatusSeconds): StatusSeconds {
  return Object.fromEntries(STATUSES.map((s) => [s, a[s] + b[s]])) as Record<Status, number>
}

/**
 * ARGO's `BigDecimal.valueOf(x).setScale(5, HALF_UP)`: the shortest decimal of the double,
 * rounded half away from zero. Done on the decimal digits because `Math.round(x * 1e5)`
 * misrounds halves such as 20.074875 (× 1e5 = 2007487.4999999998).
 */
export function round5(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`cannot round ${x}`)
  const text = Math.abs(x).toString()
  // Exponent form only occurs below 1e-6 (rounds to 0) or at 1e21 and above (no decimals).
  if (text.includes('e')) return Math.abs(x) < 1 ? 0 : x
  const [whole = '0', decimals = ''] = text.split('.')
  if (decimals.length <= 5) return x
  let scaled = BigInt(whole + decimals.slice(0, 5))
  if (decimals.charCodeAt(5) >= 53 /* '5' */) scaled += 1n
  const rounded = Number(scaled) / 1e5
  return x < 0 && rounded !== 0 ? -rounded : rounded
}

/**
 * A/R in percent (null when undefined: 0/0), the rest as fractions of the period (0–1), all
 * rounded to 5 decimals. `excluded` time (recomputations) leaves both denominators (Decision 13).
 */
export interface ArFigures {
  readonly availability: number | null
  readonly reliability: number | null
  readonly uptime: number
  readonly unknown: number
  readonly downtime: number
  readonly excluded: number
}

export function arFigures(seconds: StatusSeconds): ArFigures {
  const total = STATUSES.reduce((sum, s) => sum + seconds[s], 0)
  if (total <= 0) throw new RangeError('A/R of an empty period')
  const up = seconds.OK + seconds.WARNING
  const unknown = seconds.UNKNOWN + seconds.MISSING
  const known = total - unknown - seconds.EXCLUDED
  const scheduled = known - seconds.DOWNTIME
  return {
    availability: known > 0 ? round5((up / known) * 100) : null,
    reliability: scheduled > 0 ? round5((up / scheduled) * 100) : null,
    uptime: round5(up / total),
    unknown: round5(unknown / total),
    downtime: round5(seconds.DOWNTIME / total),
    excluded: round5(seconds.EXCLUDED / total),
  }
}

/** A range of days (a month, or any custom range) for one item. */
export interface RangeAr {
  readonly seconds: StatusSeconds
  readonly figures: ArFigures
  readonly days: number
  readonly computed_days: number
  /** Days in range with no stored computation; counted as MISSING all day (Decision 7, Q5). */
  readonly missing_days: readonly Day[]
}

/**
 * Time-weighted from exact seconds (Decision 7): a perfect month is 100 (ARGO's epsilon gives
 * 99.999999), and a day never computed counts as unknown instead of vanishing. `days` are the
 * days the item is expected to exist (the caller knows its topology history).
 */
export function rollUp(days: readonly Day[], daily: ReadonlyMap<Day, StatusSeconds>): RangeAr {
  let seconds = NO_SECONDS
  const missing: Day[] = []
  for (const day of days) {
    const computed = daily.get(day)
    if (computed === undefined) missing.push(day)
    seconds = addSeconds(seconds, computed ?? { ...NO_SECONDS, MISSING: DAY_SECONDS })
  }
  return { seconds, figures: arFigures(seconds), days: days.length, computed_days: days.length - missing.length, missing_days: missing }
}

/** Per-target breach flags: null when the figure is undefined, `any` when at least one is true. */
export interface Breaches {
  readonly availability: boolean | null
  readonly reliability: boolean | null
  readonly uptime: boolean | null
  readonly unknown: boolean | null
  readonly downtime: boolean | null
  readonly any: boolean
}

/** A fraction as the percent it reports (5 decimals of a fraction are 3 of a percent). */
const percent = (fraction: number): number => Math.round(fraction * 1e5) / 1e3

/**
 * A breach is a figure below its target, or above it for unknown and downtime (Decision 9);
 * targets are percent, fractions are compared as `fraction × 100` (Decision 14). The reported,
 * rounded figures are compared so the flag agrees with the numbers a reader sees. A period that
 * is wholly excluded has nothing to judge.
 */
export function breaches(figures: ArFigures, targets: Thresholds): Breaches {
  const judged = figures.excluded < 1
  const below = (value: number | null, target: number) => (value === null || !judged ? null : value < target)
  const above = (value: number, target: number) => (judged ? percent(value) > target : null)
  const flags = {
    availability: below(figures.availability, targets.availability),
    reliability: below(figures.reliability, targets.reliability),
    uptime: judged ? percent(figures.uptime) < targets.uptime : null,
    unknown: above(figures.unknown, targets.unknown),
    downtime: above(figures.downtime, targets.downtime),
  }
  return { ...flags, any: Object.values(flags).some((flag) => flag === true) }
}
