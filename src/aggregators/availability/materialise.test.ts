import { describe, expect, it } from 'vitest'
import { rollUp } from './availability.js'
import { computeDay } from './compute-day.js'
import { dailyArRows, secondsOfRow, statusChangeRows } from './materialise.js'
import { SlaReport } from './profiles.js'

const day = computeDay({
  day: '2026-03-10',
  report: SlaReport.parse({
    metric_profile: { CE: ['m'] },
    aggregation_profile: {
      metric_operation: 'AND',
      profile_operation: 'AND',
      groups: [{ name: 'compute', operation: 'OR', services: [{ name: 'CE', operation: 'OR' }] }],
    },
  }),
  topology: [{ group: 'SITE-A', hostname: 'ce1', service: 'CE' }],
  carryOver: [{ timestamp: '2026-03-09T23:00:00Z', hostname: 'ce1', service: 'CE', metric: 'm', status: 'CRITICAL' }],
  results: [{ timestamp: '2026-03-10T06:00:00Z', hostname: 'ce1', service: 'CE', metric: 'm', status: 'OK' }],
  downtimes: [],
  recomputations: [],
})

describe('materialised rows', () => {
  it('give one row per status change at every level, with empty keys the level lacks', () => {
    const rows = statusChangeRows(day)
    expect(rows).toHaveLength(10)
    expect(rows[0]).toEqual({
      level: 'metric', group: 'SITE-A', function: '', service: 'CE', hostname: 'ce1', metric: 'm',
      day: '2026-03-10', at: 0, timestamp: '2026-03-10T00:00:00Z', status: 'CRITICAL',
    })
    expect(rows.filter((r) => r.level === 'function')).toEqual([
      expect.objectContaining({ group: 'SITE-A', function: 'compute', service: '', at: 0, status: 'CRITICAL' }),
      expect.objectContaining({ at: 21_600, timestamp: '2026-03-10T06:00:00Z', status: 'OK' }),
    ])
  })

  it('give daily A/R rows whose seconds roll up again', () => {
    const rows = dailyArRows(day)
    expect(rows.map((r) => r.level)).toEqual(['endpoint', 'service', 'group'])
    const group = rows[2]
    expect(group).toMatchObject({ group: 'SITE-A', seconds_ok: 64_800, seconds_critical: 21_600, availability: 75, reliability: 75 })
    // ClickHouse hands 64-bit integers back as strings.
    const stored = Object.fromEntries(Object.entries(group ?? {}).map(([k, v]) => [k, k.startsWith('seconds_') ? String(v) : v]))
    const seconds = secondsOfRow(stored as Parameters<typeof secondsOfRow>[0])
    expect(rollUp(['2026-03-10'], new Map([['2026-03-10', seconds]])).figures.availability).toBe(75)
  })
})
