import { describe, expect, it } from 'vitest'
import { applyDowntimes, DOWNTIME_END_INCLUSIVE_SECONDS, downtimeCovers, downtimeWindow } from './downtimes.js'
import { hms, tl } from './test-support.js'
import { constant } from './timeline.js'
import { dayStart, toEpochSeconds } from './utc-day.js'

const DAY1 = dayStart('2026-03-10')
const DAY2 = dayStart('2026-03-11')
const at = (text: string): number => toEpochSeconds(text) ?? Number.NaN

describe('downtime windows (Decision 5, §1.5)', () => {
  it('keeps the inclusive end minute in one constant', () => {
    expect(DOWNTIME_END_INCLUSIVE_SECONDS).toBe(60)
  })

  it('covers [start, end + 60 s): 09:00 → 10:00 is 61 minutes', () => {
    expect(downtimeWindow(DAY1, at('2026-03-10T09:00:00Z'), at('2026-03-10T10:00:00Z'))).toEqual({ from: hms('09:00'), to: hms('10:01') })
  })

  it('runs a GOCDB-style end at 23:59:00 to midnight', () => {
    expect(downtimeWindow(DAY1, at('2026-03-10T20:00:00Z'), at('2026-03-10T23:59:00Z'))).toEqual({ from: hms('20:00'), to: hms('24:00') })
  })

  it('splits a downtime crossing midnight between the two days', () => {
    const start = at('2026-03-10T21:00:00Z')
    const end = at('2026-03-11T03:00:00Z')
    expect(downtimeWindow(DAY1, start, end)).toEqual({ from: hms('21:00'), to: hms('24:00') })
    expect(downtimeWindow(DAY2, start, end)).toEqual({ from: 0, to: hms('03:01') })
    expect(applyDowntimes(constant('OK'), [{ from: 0, to: hms('03:01') }])).toEqual(tl([['00:00', 'DOWNTIME'], ['03:01', 'OK']]))
  })

  it('spills the inclusive minute of a downtime ending at 23:59:30 into the next day', () => {
    expect(downtimeWindow(DAY2, at('2026-03-10T22:00:00Z'), at('2026-03-10T23:59:30Z'))).toEqual({ from: 0, to: 30 })
  })

  it('ignores a downtime outside the day', () => {
    expect(downtimeWindow(DAY2, at('2026-03-10T09:00:00Z'), at('2026-03-10T10:00:00Z'))).toBeUndefined()
  })
})

describe('applying downtimes to an endpoint', () => {
  const endpoint = tl([['00:00', 'OK'], ['13:00', 'CRITICAL'], ['15:00', 'OK']])

  it('restores the true status when the downtime ends exactly on a status change (not ARGO bug Q2)', () => {
    const window = downtimeWindow(DAY1, at('2026-03-10T11:00:00Z'), at('2026-03-10T13:00:00Z'))
    expect(applyDowntimes(endpoint, window ? [window] : [])).toEqual(
      tl([['00:00', 'OK'], ['11:00', 'DOWNTIME'], ['13:01', 'CRITICAL'], ['15:00', 'OK']]),
    )
  })

  it('restores a change inside the inclusive minute, not the pre-downtime status', () => {
    const changed = tl([['00:00', 'OK'], ['10:00:30', 'CRITICAL']])
    const window = downtimeWindow(DAY1, at('2026-03-10T09:00:00Z'), at('2026-03-10T10:00:00Z'))
    expect(applyDowntimes(changed, window ? [window] : [])).toEqual(tl([['00:00', 'OK'], ['09:00', 'DOWNTIME'], ['10:01', 'CRITICAL']]))
  })

  it('merges overlapping downtimes', () => {
    const windows = [
      { from: hms('12:00'), to: hms('14:00') },
      { from: hms('13:30'), to: hms('16:00') },
    ]
    expect(applyDowntimes(endpoint, windows)).toEqual(tl([['00:00', 'OK'], ['12:00', 'DOWNTIME'], ['16:00', 'OK']]))
  })
})

describe('which endpoints a downtime covers', () => {
  const ep = { group: 'SITE-A', hostname: 'ce1.example.org', service: 'CE' }

  it('matches an endpoint by hostname and service', () => {
    expect(downtimeCovers({ start: '', end: '', hostname: 'ce1.example.org', service: 'CE' }, ep)).toBe(true)
    expect(downtimeCovers({ start: '', end: '', hostname: 'ce1.example.org', service: 'SRM' }, ep)).toBe(false)
  })

  it('matches every endpoint of a group', () => {
    expect(downtimeCovers({ start: '', end: '', group: 'SITE-A', hostname: null, service: '' }, ep)).toBe(true)
    expect(downtimeCovers({ start: '', end: '', group: 'SITE-B' }, ep)).toBe(false)
  })

  it('covers nothing when it names nothing', () => {
    expect(downtimeCovers({ start: '', end: '', group: '', hostname: null }, ep)).toBe(false)
  })
})
