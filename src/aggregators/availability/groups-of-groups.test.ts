import { describe, expect, it } from 'vitest'
import { NO_SECONDS, type StatusSeconds } from './availability.js'
import { groupOfGroupsAr } from './groups-of-groups.js'
import type { Status } from './status.js'

const H = 3600
const secs = (parts: Partial<Record<Status, number>>): StatusSeconds => ({ ...NO_SECONDS, ...parts })
const days = ['2026-03-01', '2026-03-02']

describe('groups of groups (Decision 8)', () => {
  const members = new Map([
    ['SITE-A', new Map([['2026-03-01', secs({ OK: 24 * H })], ['2026-03-02', secs({ CRITICAL: 24 * H })]])],
    ['SITE-B', new Map([['2026-03-01', secs({ OK: 12 * H, MISSING: 12 * H })]])],
  ])
  const result = groupOfGroupsAr(days, members)

  it('gives ARGO mean of daily percentages, skipping members without a figure', () => {
    // Day 1: mean(100, 100) = 100; day 2: only SITE-A, 0. Month: mean(100, 0).
    expect(result.mean_of_daily).toEqual({ availability: 50, reliability: 50 })
  })

  it('gives the time-weighted figure over every member-day, a missing one counting as unknown', () => {
    // Up 36 h; unknown 12 h + 24 h (SITE-B day 2 never computed); known 96 − 36 = 60 h.
    expect(result.time_weighted).toMatchObject({ availability: 60, reliability: 60, unknown: 0.375, uptime: 0.375 })
    expect(result.member_days).toBe(4)
    expect(result.computed_member_days).toBe(3)
  })

  it('is undefined when no member has a defined figure', () => {
    const unknown = groupOfGroupsAr(days, new Map([['SITE-A', new Map([['2026-03-01', secs({ UNKNOWN: 24 * H })]])]]))
    expect(unknown.mean_of_daily).toEqual({ availability: null, reliability: null })
    expect(unknown.time_weighted.availability).toBeNull()
  })

  it('skips an undefined R but keeps the same day A (all-DOWNTIME member)', () => {
    const r = groupOfGroupsAr(['2026-03-01'], new Map([
      ['A', new Map([['2026-03-01', secs({ DOWNTIME: 24 * H })]])],
      ['B', new Map([['2026-03-01', secs({ OK: 24 * H })]])],
    ]))
    expect(r.mean_of_daily).toEqual({ availability: 50, reliability: 100 })
  })
})
