import { describe, expect, it } from 'vitest'
import { dayExclusions, excludedMetricWindows, isMonitoringHostExcluded, Recomputation } from './recomputation.js'
import { hms } from './test-support.js'
import { dayStart, toEpochSeconds } from './utc-day.js'

const DAY = dayStart('2026-03-10')

describe('Recomputation schema', () => {
  it('reads storage rows, where "not given" may be empty or null', () => {
    const parsed = Recomputation.parse({
      kind: 'exclude_metric',
      metric: 'ce.cert',
      group: '',
      hostname: null,
      service: 'CE',
      start: '2026-03-10 04:00:00',
      end: '2026-03-10T06:00:00Z',
    })
    expect(parsed).toEqual({ kind: 'exclude_metric', metric: 'ce.cert', service: 'CE', start: '2026-03-10 04:00:00', end: '2026-03-10T06:00:00Z' })
  })

  it('refuses an empty or reversed period, a bad timestamp and an unknown kind', () => {
    const base = { kind: 'exclude_group', group: 'SITE-A', start: '2026-03-10T06:00:00Z', end: '2026-03-10T06:00:00Z' }
    expect(Recomputation.safeParse(base).success).toBe(false)
    expect(Recomputation.safeParse({ ...base, end: '2026-03-10T05:00:00Z' }).success).toBe(false)
    expect(Recomputation.safeParse({ ...base, end: 'tomorrow' }).success).toBe(false)
    expect(Recomputation.safeParse({ ...base, kind: 'exclude_everything' }).success).toBe(false)
    expect(Recomputation.safeParse({ ...base, end: '2026-03-10T07:00:00Z' }).success).toBe(true)
  })
})

describe('a day of exclusions', () => {
  const exclusions = dayExclusions(DAY, [
    { kind: 'exclude_monitoring_host', monitoring_host: 'mon1', start: '2026-03-10T10:00:00Z', end: '2026-03-10T11:00:00Z' },
    { kind: 'exclude_group', group: 'SITE-A', start: '2026-03-09T20:00:00Z', end: '2026-03-10T02:00:00Z' },
    { kind: 'exclude_group', group: 'SITE-A', start: '2026-03-11T00:00:00Z', end: '2026-03-11T02:00:00Z' },
    { kind: 'exclude_metric', metric: 'm', group: 'SITE-A', start: '2026-03-10T22:00:00Z', end: '2026-03-12T00:00:00Z' },
  ])

  it('excludes a monitoring host over [start, end)', () => {
    const at = (t: string) => toEpochSeconds(t) ?? Number.NaN
    expect(isMonitoringHostExcluded(exclusions, 'mon1', at('2026-03-10T09:59:59Z'))).toBe(false)
    expect(isMonitoringHostExcluded(exclusions, 'mon1', at('2026-03-10T10:00:00Z'))).toBe(true)
    expect(isMonitoringHostExcluded(exclusions, 'mon1', at('2026-03-10T11:00:00Z'))).toBe(false)
    expect(isMonitoringHostExcluded(exclusions, 'mon2', at('2026-03-10T10:30:00Z'))).toBe(false)
    expect(isMonitoringHostExcluded(exclusions, null, at('2026-03-10T10:30:00Z'))).toBe(false)
  })

  it('clips group and metric periods to the day and drops those outside it', () => {
    expect(exclusions.groups.get('SITE-A')).toEqual([{ from: 0, to: hms('02:00') }])
    const item = { group: 'SITE-A', hostname: 'h', service: 's', metric: 'm' }
    expect(excludedMetricWindows(exclusions, item)).toEqual([{ from: hms('22:00'), to: hms('24:00') }])
    expect(excludedMetricWindows(exclusions, { ...item, group: 'SITE-B' })).toEqual([])
    expect(excludedMetricWindows(exclusions, { ...item, metric: 'n' })).toEqual([])
  })
})
