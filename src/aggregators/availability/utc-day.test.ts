import { describe, expect, it } from 'vitest'
import { dayStart, daysInRange, daysOfMonth, isoSeconds, toEpochSeconds } from './utc-day.js'

describe('UTC days and instants', () => {
  it('reads RFC 3339, offsets, fractions and ClickHouse text as UTC, truncated to the second', () => {
    const expected = Date.UTC(2026, 2, 10, 17, 0, 0) / 1000
    expect(toEpochSeconds('2026-03-10T17:00:00Z')).toBe(expected)
    expect(toEpochSeconds('2026-03-10T18:00:00+01:00')).toBe(expected)
    expect(toEpochSeconds('2026-03-10T16:30:00-00:30')).toBe(expected)
    expect(toEpochSeconds('2026-03-10 17:00:00.999')).toBe(expected)
    expect(toEpochSeconds(new Date('2026-03-10T17:00:00.750Z'))).toBe(expected)
  })

  it('refuses impossible instants', () => {
    expect(toEpochSeconds('2026-02-29T00:00:00Z')).toBeUndefined()
    expect(toEpochSeconds('2026-03-10T24:00:00Z')).toBeUndefined()
    expect(toEpochSeconds('2026-03-10')).toBeUndefined()
    expect(toEpochSeconds('2026-03-10T10:00:00+25:00')).toBeUndefined()
    expect(toEpochSeconds(new Date('nope'))).toBeUndefined()
  })

  it('lists the days of a range and of a month', () => {
    expect(daysInRange('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01'])
    expect(daysOfMonth('2024-02')).toHaveLength(29)
    expect(daysOfMonth('2026-12').at(-1)).toBe('2026-12-31')
    expect(() => daysInRange('2026-03-02', '2026-03-01')).toThrow(RangeError)
    expect(() => dayStart('2026-13-01')).toThrow(RangeError)
  })

  it('prints status timestamps as YYYY-MM-DDThh:mm:ssZ', () => {
    expect(isoSeconds(dayStart('2026-03-10') + 3661)).toBe('2026-03-10T01:01:01Z')
  })
})
