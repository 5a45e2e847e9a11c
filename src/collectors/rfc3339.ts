const MIN_YEAR = 1970
const MAX_YEAR = 2199
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/**
 * Strict RFC 3339 (`2026-01-31T12:00:00Z`, fractions and offsets allowed) to epoch milliseconds,
 * or null. Hand-rolled because it runs twice per ingested record: Date.parse alone also accepts
 * 2026-02-30 (as March 2nd) and 24:00:00, so every field is range-checked here.
 */
export function parseRfc3339(s: string): number | null {
  const n = s.length
  if (n < 20 || n > 40) return null
  const year = digits(s, 0, 4)
  const month = digits(s, 5, 2)
  const day = digits(s, 8, 2)
  const hour = digits(s, 11, 2)
  const minute = digits(s, 14, 2)
  const second = digits(s, 17, 2)
  const t = s.charCodeAt(10)
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (t !== 84 && t !== 116 && t !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return null
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null
  if (day < 1 || day > daysInMonth(year, month)) return null
  let i = 19
  let ms = 0
  if (s.charCodeAt(i) === 46) {
    let scale = 100
    i++
    const start = i
    while (i < n) {
      const c = s.charCodeAt(i) - 48
      if (c < 0 || c > 9) break
      ms += c * scale
      scale /= 10
      i++
    }
    if (i === start || i - start > 9) return null
    ms = Math.floor(ms)
  }
  let offset = 0
  const z = s.charCodeAt(i)
  if ((z === 90 || z === 122) && i + 1 === n) offset = 0
  else if ((z === 43 || z === 45) && i + 6 === n && s.charCodeAt(i + 3) === 58) {
    const oh = digits(s, i + 1, 2)
    const om = digits(s, i + 4, 2)
    if (oh > 23 || om > 59) return null
    offset = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000
  } else return null
  return Date.UTC(year, month - 1, day, hour, minute, second) + ms - offset
}

/** The number in `len` ASCII digits at `at`, or -1 (which every range check above refuses). */
function digits(s: string, at: number, len: number): number {
  let v = 0
  for (let i = at; i < at + len; i++) {
    const c = s.charCodeAt(i) - 48
    if (c < 0 || c > 9) return -1
    v = v * 10 + c
  }
  return v
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29
  return DAYS[month - 1] ?? 0
}

/** Epoch milliseconds to RFC 3339 UTC. */
export const toRfc3339 = (ms: number) => new Date(ms).toISOString()
