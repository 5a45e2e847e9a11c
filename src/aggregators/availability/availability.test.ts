import { describe, expect, it } from 'vitest'
import { arFigures, breaches, NO_SECONDS, rollUp, round5, statusSeconds, type StatusSeconds } from './availability.js'
import { DEFAULT_THRESHOLDS } from './profiles.js'
import type { Status } from './status.js'
import { tl } from './test-support.js'
import { constant } from './timeline.js'
import { daysInRange, daysOfMonth } from './utc-day.js'

const secs = (parts: Partial<Record<Status, number>>): StatusSeconds => ({ ...NO_SECONDS, ...parts })
const H = 3600

describe('daily A/R (reference §3)', () => {
  it('reproduces the documentation example: A = 27.77778, R = 35.71429', () => {
    const day = tl([['00:00', 'OK'], ['03:00', 'CRITICAL'], ['12:00', 'UNKNOWN'], ['18:00', 'DOWNTIME'], ['22:00', 'OK']])
    const seconds = statusSeconds(day)
    expect(seconds).toEqual(secs({ OK: 18_000, CRITICAL: 32_400, UNKNOWN: 21_600, DOWNTIME: 14_400 }))
    expect(arFigures(seconds)).toEqual({
      availability: 27.77778,
      reliability: 35.71429,
      uptime: 0.20833,
      unknown: 0.25,
      downtime: 0.16667,
      excluded: 0,
    })
  })

  it.each([
    ['OK', 100, 100, 1, 0, 0],
    ['WARNING', 100, 100, 1, 0, 0],
    ['MISSING', null, null, 0, 1, 0],
    ['UNKNOWN', null, null, 0, 1, 0],
    ['DOWNTIME', 0, null, 0, 0, 1],
    ['CRITICAL', 0, 0, 0, 0, 0],
  ] as const)('a day all %s gives A %s, R %s, uptime %s, unknown %s, downtime %s', (status, a, r, up, unknown, down) => {
    expect(arFigures(statusSeconds(constant(status)))).toEqual({
      availability: a,
      reliability: r,
      uptime: up,
      unknown,
      downtime: down,
      excluded: 0,
    })
  })

  it('takes EXCLUDED time out of the period: OK plus half a day excluded is A = 100 (Decision 13)', () => {
    const f = arFigures(statusSeconds(tl([['00:00', 'OK'], ['12:00', 'EXCLUDED']])))
    expect(f).toEqual({ availability: 100, reliability: 100, uptime: 0.5, unknown: 0, downtime: 0, excluded: 0.5 })
    expect(arFigures(secs({ CRITICAL: 6 * H, EXCLUDED: 12 * H, OK: 6 * H })).availability).toBe(50)
  })

  it('is undefined for a wholly excluded day', () => {
    expect(arFigures(secs({ EXCLUDED: 24 * H }))).toMatchObject({ availability: null, reliability: null, excluded: 1 })
  })
})

describe('round5 (BigDecimal HALF_UP on the shortest decimal)', () => {
  it.each([
    [27.777777777777779, 27.77778],
    [35.714285714285715, 35.71429],
    [0.20833333333333334, 0.20833],
    [1.000005, 1.00001],
    [1.005, 1.005],
    [66.315125, 66.31513],
    [2.0000049999, 2],
    [0.000005, 0.00001],
    [0.0000049, 0],
    [2.5e-7, 0],
    [100, 100],
    [-1.000005, -1.00001],
  ])('%s → %s', (x, expected) => {
    expect(round5(x)).toBe(expected)
  })

  it('rounds a half that binary floating point stores just below it', () => {
    // 20.074875 × 1e5 is 2007487.4999999998 in binary, so Math.round(x * 1e5) / 1e5 gives 20.07487.
    expect(Math.round(20.074875 * 1e5) / 1e5).toBe(20.07487)
    expect(round5(20.074875)).toBe(20.07488)
  })
})

describe('roll-up over days (Decision 7)', () => {
  it('weights by time, not by averaging daily percentages', () => {
    const daily = new Map([
      ['2026-03-01', secs({ OK: 24 * H })],
      ['2026-03-02', secs({ CRITICAL: 12 * H, UNKNOWN: 12 * H })],
    ])
    const range = rollUp(['2026-03-01', '2026-03-02'], daily)
    // Daily A are 100 and 0; their mean would be 50. Known time is 36 h, of which 24 h up.
    expect(range.figures.availability).toBe(66.66667)
    expect(range.figures.unknown).toBe(0.25)
    expect(range.seconds).toEqual(secs({ OK: 24 * H, CRITICAL: 12 * H, UNKNOWN: 12 * H }))
  })

  it('gives a perfect month exactly 100 (no ARGO epsilon)', () => {
    const days = daysOfMonth('2026-02')
    const range = rollUp(days, new Map(days.map((d) => [d, secs({ OK: 24 * H })])))
    expect(range.figures).toMatchObject({ availability: 100, reliability: 100, uptime: 1 })
    expect(range.days).toBe(28)
  })

  it('counts a day never computed as unknown and reports it', () => {
    const days = daysInRange('2026-03-01', '2026-03-04')
    const daily = new Map([
      ['2026-03-01', secs({ OK: 24 * H })],
      ['2026-03-02', secs({ OK: 18 * H, CRITICAL: 6 * H })],
      ['2026-03-04', secs({ OK: 24 * H })],
    ])
    const range = rollUp(days, daily)
    expect(range).toMatchObject({ days: 4, computed_days: 3, missing_days: ['2026-03-03'] })
    expect(range.figures).toMatchObject({ availability: 91.66667, unknown: 0.25, uptime: 0.6875 })
  })

  it('sums downtime into R as into a day', () => {
    const daily = new Map([
      ['2026-03-01', secs({ OK: 20 * H, DOWNTIME: 4 * H })],
      ['2026-03-02', secs({ OK: 22 * H, CRITICAL: 2 * H })],
    ])
    expect(rollUp(['2026-03-01', '2026-03-02'], daily).figures).toMatchObject({ availability: 87.5, reliability: 95.45455, downtime: 0.08333 })
  })
})

describe('breaches (Decisions 9, 14)', () => {
  const figures = { availability: 100, reliability: 100, uptime: 1, unknown: 0, downtime: 0, excluded: 0 }

  it('flags nothing on a perfect period', () => {
    expect(breaches(figures, DEFAULT_THRESHOLDS)).toEqual({ availability: false, reliability: false, uptime: false, unknown: false, downtime: false, any: false })
  })

  it('flags a figure below its target and accepts one exactly on it', () => {
    expect(breaches({ ...figures, availability: 79.99999 }, DEFAULT_THRESHOLDS)).toMatchObject({ availability: true, any: true })
    expect(breaches({ ...figures, availability: 80, reliability: 85 }, DEFAULT_THRESHOLDS)).toMatchObject({ availability: false, reliability: false })
    expect(breaches({ ...figures, reliability: 84.99999 }, DEFAULT_THRESHOLDS)).toMatchObject({ reliability: true })
  })

  it('compares fractions as percent: unknown 0.1 meets a 10 % target, 0.10001 breaches it', () => {
    expect(breaches({ ...figures, unknown: 0.1, downtime: 0.1, uptime: 0.8 }, DEFAULT_THRESHOLDS)).toMatchObject({ unknown: false, downtime: false, uptime: false })
    expect(breaches({ ...figures, unknown: 0.10001 }, DEFAULT_THRESHOLDS)).toMatchObject({ unknown: true, any: true })
    expect(breaches({ ...figures, downtime: 0.29 }, DEFAULT_THRESHOLDS)).toMatchObject({ downtime: true })
    expect(breaches({ ...figures, uptime: 0.79999 }, DEFAULT_THRESHOLDS)).toMatchObject({ uptime: true })
  })

  it('leaves an undefined figure unjudged, and a wholly excluded period entirely', () => {
    expect(breaches({ ...figures, availability: null, reliability: null }, DEFAULT_THRESHOLDS)).toMatchObject({ availability: null, reliability: null, any: false })
    const excluded = { availability: null, reliability: null, uptime: 0, unknown: 0, downtime: 0, excluded: 1 }
    expect(breaches(excluded, DEFAULT_THRESHOLDS)).toEqual({ availability: null, reliability: null, uptime: null, unknown: null, downtime: null, any: false })
  })

  it('uses the report targets', () => {
    expect(breaches({ ...figures, availability: 95 }, { ...DEFAULT_THRESHOLDS, availability: 99 })).toMatchObject({ availability: true })
  })
})
