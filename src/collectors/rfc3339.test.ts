import { describe, expect, it } from 'vitest'
import { parseRfc3339 } from './rfc3339.js'

describe('parseRfc3339', () => {
  it('parses UTC, fractions and offsets', () => {
    expect(parseRfc3339('2026-01-31T12:00:00Z')).toBe(Date.UTC(2026, 0, 31, 12))
    expect(parseRfc3339('2026-01-31t12:00:00.5z')).toBe(Date.UTC(2026, 0, 31, 12, 0, 0, 500))
    expect(parseRfc3339('2026-01-31T12:00:00.123456789Z')).toBe(Date.UTC(2026, 0, 31, 12, 0, 0, 123))
    expect(parseRfc3339('2026-01-31T14:30:00+02:30')).toBe(Date.UTC(2026, 0, 31, 12))
    expect(parseRfc3339('2026-01-31T10:00:00-02:00')).toBe(Date.UTC(2026, 0, 31, 12))
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29))
  })

  it.each([
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:00',
    '2026-01-01',
    '2026-01-01T00:00:00.Z',
    '2026-01-01T00:00:00+0200',
    '1969-12-31T23:59:59Z',
    '9999-01-01T00:00:00Z',
    'NaN',
    '2026-01-01T00:00:00Zjunk',
    '２０２６-01-01T00:00:00Z',
  ])('refuses %s', (text) => {
    expect(parseRfc3339(text)).toBeNull()
  })
})
