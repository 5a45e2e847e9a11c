const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/
const MIN_YEAR = 1970
const MAX_YEAR = 2199

/**
 * Strict RFC 3339: Date.parse alone accepts 2026-02-30 (as March 2nd) and 24:00:00, so every
 * field is range-checked. Returns epoch milliseconds, or null when the text is not a valid instant.
 */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339.exec(text)
  if (!m) return null
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number, number, number, number, number, number,
  ]
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null
  if (day < 1 || day > daysInMonth(year, month)) return null
  let ms = Date.UTC(year, month - 1, day, hour, minute, second) + (m[7] ? Math.floor(Number(m[7]) * 1000) : 0)
  if (m[9]) {
    const offH = Number(m[10])
    const offM = Number(m[11])
    if (offH > 23 || offM > 59) return null
    ms -= (m[9] === '+' ? 1 : -1) * (offH * 60 + offM) * 60_000
  }
  return ms
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/** ClickHouse DateTime64(3) text in UTC: `YYYY-MM-DD hh:mm:ss.sss`. */
export function toClickHouseTime(ms: number): string {
  const iso = new Date(ms).toISOString()
  return iso.slice(0, 10) + ' ' + iso.slice(11, 23)
}

/** Back from ClickHouse DateTime64 text (UTC) to RFC 3339. */
export function fromClickHouseTime(text: string): string {
  return text.replace(' ', 'T') + (text.length === 19 ? '.000Z' : 'Z')
}
