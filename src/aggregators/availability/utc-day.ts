/**
 * UTC calendar days and instants. ARGO works on UTC days of exactly 86,400 s (reference §1.3,
 * Q9; Decision 1); leap seconds do not exist in this arithmetic.
 */
export const DAY_SECONDS = 86_400

/** A day `YYYY-MM-DD`. */
export type Day = string

/** What storage and HTTP hand over: RFC 3339, ClickHouse `YYYY-MM-DD hh:mm:ss[.fff]` (UTC), or a Date. */
export type Instant = string | Date

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH = /^(\d{4})-(\d{2})$/
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0)
}

function validDate(year: number, month: number, day: number): boolean {
  return year >= 1970 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month)
}

/** Epoch seconds of the day's 00:00:00Z; a day that is not a real `YYYY-MM-DD` is a caller's bug. */
export function dayStart(day: Day): number {
  const m = DAY.exec(day)
  const [y, mo, d] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])]
  if (!m || !validDate(y, mo, d)) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`)
  return Date.UTC(y, mo - 1, d) / 1000
}

export function dayOf(epochSeconds: number): Day {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10)
}

/** Every day from `from` to `to`, both included. */
export function daysInRange(from: Day, to: Day): Day[] {
  const start = dayStart(from)
  const end = dayStart(to)
  if (end < start) throw new RangeError(`range ends before it starts: ${from}..${to}`)
  const days: Day[] = []
  for (let t = start; t <= end; t += DAY_SECONDS) days.push(dayOf(t))
  return days
}

/** Every day of a month `YYYY-MM`. */
export function daysOfMonth(month: string): Day[] {
  const m = MONTH.exec(month)
  const [y, mo] = [Number(m?.[1]), Number(m?.[2])]
  if (!m || !validDate(y, mo, 1)) throw new RangeError(`not a month (YYYY-MM): ${month}`)
  return daysInRange(`${month}-01`, `${month}-${String(daysIn(y, mo)).padStart(2, '0')}`)
}

/**
 * Epoch seconds, truncated to the second (timelines have second resolution, Decision 1);
 * undefined when the text is not a valid instant. Text without a zone is UTC (ClickHouse).
 */
export function toEpochSeconds(instant: Instant): number | undefined {
  if (instant instanceof Date) {
    const ms = instant.getTime()
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined
  }
  const m = INSTANT.exec(instant)
  if (!m) return undefined
  const [y, mo, d, h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])]
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return undefined
  let seconds = Date.UTC(y, mo - 1, d, h, mi, s) / 1000
  if (m[8] !== undefined) {
    const offset = Number(m[9]) * 3600 + Number(m[10]) * 60
    if (Number(m[9]) > 23 || Number(m[10]) > 59) return undefined
    seconds -= m[8] === '+' ? offset : -offset
  }
  return seconds
}

/**
 * For downtimes and recomputations, which are validated on the way in: a bad period there must
 * not silently change SLA figures, so it is an error rather than a skipped row.
 */
export function requireEpochSeconds(instant: Instant, what: string): number {
  const seconds = toEpochSeconds(instant)
  if (seconds === undefined) throw new RangeError(`${what} is not a timestamp: ${String(instant)}`)
  return seconds
}

/** `YYYY-MM-DDThh:mm:ssZ`, the timestamp form of ARGO's status API (reference §5.3). */
export function isoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19) + 'Z'
}
