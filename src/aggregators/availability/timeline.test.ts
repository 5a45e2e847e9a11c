import { describe, expect, it } from 'vitest'
import { compileOperations, EGI_OPS, operation } from './operations-profile.js'
import { hms, tl } from './test-support.js'
import { clipToDay, combineTimelines, constant, fold, metricTimeline, overlay, statusAt } from './timeline.js'

const ops = compileOperations(EGI_OPS)
const AND = operation(ops, 'AND')
const OR = operation(ops, 'OR')

describe('metricTimeline (Decision 4)', () => {
  it('carries the previous status over to 00:00 until the first result', () => {
    expect(metricTimeline('CRITICAL', [{ at: hms('02:00'), status: 'OK' }])).toEqual(tl([['00:00', 'CRITICAL'], ['02:00', 'OK']]))
  })

  it('is MISSING from 00:00 until the first result when nothing came before the day', () => {
    expect(metricTimeline(undefined, [{ at: hms('06:30'), status: 'WARNING' }])).toEqual(tl([['00:00', 'MISSING'], ['06:30', 'WARNING']]))
  })

  it('is MISSING all day with no result at all', () => {
    expect(metricTimeline(undefined, [])).toEqual(constant('MISSING'))
  })

  it('holds the carried-over status all day when the probe is silent (no staleness rule, Q8)', () => {
    expect(metricTimeline('WARNING', [])).toEqual(constant('WARNING'))
  })

  it('lets a result at 00:00:00 replace the carried-over status', () => {
    expect(metricTimeline('CRITICAL', [{ at: 0, status: 'OK' }])).toEqual(constant('OK'))
  })

  it('sorts results and merges repeats into one change', () => {
    const results = [
      { at: hms('12:00'), status: 'CRITICAL' },
      { at: hms('01:00'), status: 'OK' },
      { at: hms('05:00'), status: 'OK' },
    ] as const
    expect(metricTimeline('OK', results)).toEqual(tl([['00:00', 'OK'], ['12:00', 'CRITICAL']]))
  })

  it('keeps the worst of two results in the same second, whatever their order', () => {
    const a = { at: hms('10:00'), status: 'OK' } as const
    const b = { at: hms('10:00'), status: 'CRITICAL' } as const
    const expected = tl([['00:00', 'OK'], ['10:00', 'CRITICAL']])
    expect(metricTimeline('OK', [a, b])).toEqual(expected)
    expect(metricTimeline('OK', [b, a])).toEqual(expected)
  })
})

describe('combining timelines (§1.4)', () => {
  it('evaluates the operation at every point of the union of change points', () => {
    const a = tl([['00:00', 'OK'], ['10:00', 'CRITICAL'], ['14:00', 'OK']])
    const b = tl([['00:00', 'WARNING'], ['12:00', 'OK'], ['18:00', 'UNKNOWN']])
    expect(combineTimelines(AND, a, b)).toEqual(tl([['00:00', 'WARNING'], ['10:00', 'CRITICAL'], ['14:00', 'OK'], ['18:00', 'UNKNOWN']]))
    expect(combineTimelines(OR, a, b)).toEqual(tl([['00:00', 'OK'], ['10:00', 'WARNING'], ['12:00', 'OK']]))
  })

  it('folds several timelines, and nothing to fold gives undefined', () => {
    const timelines = [
      tl([['00:00', 'CRITICAL'], ['08:00', 'OK']]),
      tl([['00:00', 'MISSING'], ['04:00', 'CRITICAL']]),
      tl([['00:00', 'UNKNOWN'], ['06:00', 'WARNING'], ['07:00', 'DOWNTIME']]),
    ]
    expect(fold(OR, timelines)).toEqual(tl([['00:00', 'CRITICAL'], ['06:00', 'WARNING'], ['07:00', 'CRITICAL'], ['08:00', 'OK']]))
    expect(fold(AND, timelines)).toEqual(constant('CRITICAL'))
    expect(fold(AND, [])).toBeUndefined()
    expect(fold(AND, [constant('OK')])).toEqual(constant('OK'))
  })

  it('lets an EXCLUDED operand drop out of the operation', () => {
    const excluded = tl([['00:00', 'EXCLUDED'], ['12:00', 'CRITICAL']])
    expect(combineTimelines(AND, constant('OK'), excluded)).toEqual(tl([['00:00', 'OK'], ['12:00', 'CRITICAL']]))
    expect(combineTimelines(AND, constant('EXCLUDED'), constant('EXCLUDED'))).toEqual(constant('EXCLUDED'))
  })
})

describe('overlay', () => {
  const base = tl([['00:00', 'OK'], ['10:00', 'CRITICAL'], ['13:00', 'WARNING'], ['20:00', 'OK']])

  it('writes the status over the window and restores the true status after it', () => {
    expect(overlay(base, { from: hms('09:00'), to: hms('11:00') }, 'DOWNTIME')).toEqual(
      tl([['00:00', 'OK'], ['09:00', 'DOWNTIME'], ['11:00', 'CRITICAL'], ['13:00', 'WARNING'], ['20:00', 'OK']]),
    )
  })

  it('restores a change that falls exactly on the end of the window', () => {
    expect(overlay(base, { from: hms('11:00'), to: hms('13:00') }, 'DOWNTIME')).toEqual(
      tl([['00:00', 'OK'], ['10:00', 'CRITICAL'], ['11:00', 'DOWNTIME'], ['13:00', 'WARNING'], ['20:00', 'OK']]),
    )
  })

  it('clips to the day and ignores an empty window', () => {
    expect(overlay(base, { from: hms('22:00'), to: hms('30:00') }, 'UNKNOWN')).toEqual([...base, { at: hms('22:00'), status: 'UNKNOWN' }])
    expect(overlay(base, { from: hms('05:00'), to: hms('05:00') }, 'UNKNOWN')).toBe(base)
    expect(overlay(base, { from: -100, to: hms('24:00') }, 'UNKNOWN')).toEqual(constant('UNKNOWN'))
  })

  it('finds the status in force at any second', () => {
    expect(statusAt(base, 0)).toBe('OK')
    expect(statusAt(base, hms('09:59:59'))).toBe('OK')
    expect(statusAt(base, hms('10:00'))).toBe('CRITICAL')
    expect(statusAt(base, hms('23:59:59'))).toBe('OK')
  })

  it('clips absolute spans to the day', () => {
    const day = 1_000_000
    expect(clipToDay(day, day - 50, day + 100)).toEqual({ from: 0, to: 100 })
    expect(clipToDay(day, day + 86_000, day + 90_000)).toEqual({ from: 86_000, to: 86_400 })
    expect(clipToDay(day, day - 50, day)).toBeUndefined()
    expect(clipToDay(day, day + 86_400, day + 90_000)).toBeUndefined()
  })
})
