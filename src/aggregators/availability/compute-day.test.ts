import { describe, expect, it } from 'vitest'
import { computeDay, type ComputeDayInput, type ProbeResultInput } from './compute-day.js'
import { SlaReport } from './profiles.js'
import { tl } from './test-support.js'
import { constant } from './timeline.js'

const report = SlaReport.parse({
  metric_profile: { CE: ['ce.submit', 'ce.cert'], SRM: ['srm.put'] },
  aggregation_profile: {
    metric_operation: 'AND',
    profile_operation: 'AND',
    groups: [
      { name: 'compute', operation: 'OR', services: [{ name: 'CE', operation: 'OR' }] },
      { name: 'storage', operation: 'AND', services: [{ name: 'SRM', operation: 'AND' }] },
    ],
  },
})

const topology = [
  { group: 'SITE-A', hostname: 'ce1', service: 'CE' },
  { group: 'SITE-A', hostname: 'ce2', service: 'CE' },
  { group: 'SITE-A', hostname: 'se1', service: 'SRM' },
  { group: 'SITE-A', hostname: 'portal', service: 'webui' },
  { group: 'SITE-B', hostname: 'ce3', service: 'CE' },
]

const r = (timestamp: string, hostname: string, service: string, metric: string, status: string, monitoring_host?: string): ProbeResultInput => ({
  timestamp,
  hostname,
  service,
  metric,
  status,
  ...(monitoring_host === undefined ? {} : { monitoring_host }),
})

const input: ComputeDayInput = {
  day: '2026-03-10',
  report,
  topology,
  carryOver: [
    r('2026-03-09T10:00:00Z', 'ce1', 'CE', 'ce.submit', 'OK'),
    r('2026-03-09T23:50:00Z', 'ce1', 'CE', 'ce.submit', 'CRITICAL'),
    r('2026-03-08T12:00:00Z', 'ce1', 'CE', 'ce.cert', 'OK'),
    r('2026-03-09T22:00:00Z', 'ce2', 'CE', 'ce.submit', 'OK', 'mon-bad'),
    r('2026-03-09T22:00:00Z', 'ce2', 'CE', 'ce.cert', 'ok', 'mon-good'),
    r('2026-03-09T21:00:00Z', 'ce3', 'CE', 'ce.submit', 'OK'),
    r('2026-03-09T21:00:00Z', 'ce3', 'CE', 'ce.cert', 'CRITICAL'),
  ],
  results: [
    r('2026-03-10T02:00:00Z', 'ce1', 'CE', 'ce.submit', 'ok'),
    r('2026-03-10T04:00:00Z', 'ce1', 'CE', 'ce.cert', 'CRITICAL'),
    r('2026-03-10T05:00:00Z', 'ce1', 'CE', 'ce.cert', 'OK'),
    r('2026-03-10T03:00:00Z', 'ce2', 'CE', 'ce.submit', 'OK', 'mon-bad'),
    r('2026-03-10T13:00:00Z', 'ce2', 'CE', 'ce.submit', 'OK', 'mon-bad'),
    r('2026-03-10 06:00:00', 'se1', 'SRM', 'srm.put', 'WARNING'),
    r('2026-03-10T17:00:00+01:00', 'se1', 'SRM', 'srm.put', 'CRITICAL'),
    r('2026-03-10T17:00:00.250Z', 'se1', 'SRM', 'srm.put', 'OK'),
    r('2026-03-10T04:00:00Z', 'ce3', 'CE', 'ce.cert', 'OK'),
    // Each of these is dropped, for the reason named.
    r('2026-03-10T09:00:00Z', 'ghost', 'CE', 'ce.submit', 'CRITICAL'),
    r('2026-03-10T09:00:00Z', 'ce1', 'CE', 'ce.other', 'CRITICAL'),
    r('2026-03-10T09:00:00Z', 'portal', 'webui', 'http', 'CRITICAL'),
    r('2026-03-10T09:00:00Z', 'ce1', 'CE', 'ce.submit', 'DOWN'),
    r('2026-03-11T00:00:00Z', 'ce1', 'CE', 'ce.submit', 'CRITICAL'),
    r('2026-03-10T25:00:00Z', 'ce1', 'CE', 'ce.submit', 'CRITICAL'),
  ],
  downtimes: [
    { hostname: 'se1', service: 'SRM', start: '2026-03-10T21:00:00Z', end: '2026-03-11T03:00:00Z' },
    { group: 'SITE-B', start: '2026-03-10T10:00:00Z', end: '2026-03-10T10:59:00Z' },
    { hostname: 'se1', service: 'SRM', start: '2026-03-12T00:00:00Z', end: '2026-03-12T03:00:00Z' },
  ],
  recomputations: [
    { kind: 'exclude_monitoring_host', monitoring_host: 'mon-bad', start: '2026-03-09T20:00:00Z', end: '2026-03-10T12:00:00Z' },
    { kind: 'exclude_metric', metric: 'ce.cert', hostname: 'ce1', start: '2026-03-10T04:00:00Z', end: '2026-03-10T06:00:00Z' },
    { kind: 'exclude_group', group: 'SITE-B', start: '2026-03-10T00:00:00Z', end: '2026-03-10T06:00:00Z' },
  ],
}

const day = computeDay(input)
const endpoint = (hostname: string) => day.endpoints.find((e) => e.hostname === hostname)
const metric = (hostname: string, name: string) => day.metrics.find((m) => m.hostname === hostname && m.metric === name)?.timeline

describe('computeDay: metric timelines', () => {
  it('starts with the latest status before the day', () => {
    expect(metric('ce1', 'ce.submit')).toEqual(tl([['00:00', 'CRITICAL'], ['02:00', 'OK']]))
    expect(metric('ce3', 'ce.cert')).toEqual(tl([['00:00', 'CRITICAL'], ['04:00', 'OK']]))
  })

  it('is MISSING until the first result when nothing usable came before the day', () => {
    expect(metric('se1', 'srm.put')).toEqual(tl([['00:00', 'MISSING'], ['06:00', 'WARNING'], ['16:00', 'CRITICAL'], ['17:00', 'OK']]))
  })

  it('drops results of an excluded monitoring host, including the carried-over one', () => {
    expect(metric('ce2', 'ce.submit')).toEqual(tl([['00:00', 'MISSING'], ['13:00', 'OK']]))
  })

  it('marks an excluded metric EXCLUDED over the period, where its true status resumes', () => {
    expect(metric('ce1', 'ce.cert')).toEqual(tl([['00:00', 'OK'], ['04:00', 'EXCLUDED'], ['06:00', 'OK']]))
  })

  it('counts what did not count', () => {
    expect(day.dropped).toEqual({
      invalid_timestamp: 1,
      outside_day: 1,
      invalid_status: 1,
      not_in_profile: 2,
      not_in_topology: 1,
      excluded_monitoring_host: 2,
    })
  })

  it('makes an expected metric with no result at all MISSING all day', () => {
    const silent = computeDay({ ...input, carryOver: [], results: [], downtimes: [], recomputations: [] })
    expect(silent.metrics).toHaveLength(7)
    for (const m of silent.metrics) expect(m.timeline).toEqual(constant('MISSING'))
    expect(silent.groups.map((g) => [g.group, g.ar.figures.availability, g.ar.figures.unknown])).toEqual([
      ['SITE-A', null, 1],
      ['SITE-B', null, 1],
    ])
  })
})

describe('computeDay: levels and A/R', () => {
  it('aggregates each endpoint, with EXCLUDED as the identity of AND', () => {
    expect(endpoint('ce1')?.timeline).toEqual(tl([['00:00', 'CRITICAL'], ['02:00', 'OK']]))
    expect(endpoint('ce1')?.ar.figures).toEqual({ availability: 91.66667, reliability: 91.66667, uptime: 0.91667, unknown: 0, downtime: 0, excluded: 0 })
    expect(endpoint('ce2')?.ar.figures).toMatchObject({ availability: 100, unknown: 0.54167 })
  })

  it('applies a downtime to the endpoint from its start to the end of the day', () => {
    expect(endpoint('se1')?.timeline).toEqual(
      tl([['00:00', 'MISSING'], ['06:00', 'WARNING'], ['16:00', 'CRITICAL'], ['17:00', 'OK'], ['21:00', 'DOWNTIME']]),
    )
    expect(endpoint('se1')?.ar.figures).toEqual({ availability: 77.77778, reliability: 93.33333, uptime: 0.58333, unknown: 0.25, downtime: 0.125, excluded: 0 })
  })

  it('applies a group downtime with its inclusive end minute', () => {
    expect(endpoint('ce3')?.timeline).toEqual(tl([['00:00', 'CRITICAL'], ['04:00', 'OK'], ['10:00', 'DOWNTIME'], ['11:00', 'OK']]))
  })

  it('ORs the endpoints of a service and ANDs the functions of a group', () => {
    expect(day.services.map((s) => [s.group, s.service])).toEqual([
      ['SITE-A', 'CE'],
      ['SITE-A', 'SRM'],
      ['SITE-B', 'CE'],
    ])
    expect(day.services[0]?.timeline).toEqual(tl([['00:00', 'CRITICAL'], ['02:00', 'OK']]))
    expect(day.functions.map((f) => [f.group, f.function])).toEqual([
      ['SITE-A', 'compute'],
      ['SITE-A', 'storage'],
      ['SITE-B', 'compute'],
    ])
    const siteA = day.groups[0]
    expect(siteA?.group).toBe('SITE-A')
    expect(siteA?.timeline).toEqual(
      tl([['00:00', 'CRITICAL'], ['02:00', 'MISSING'], ['06:00', 'WARNING'], ['16:00', 'CRITICAL'], ['17:00', 'OK'], ['21:00', 'DOWNTIME']]),
    )
    expect(siteA?.ar.figures).toEqual({ availability: 70, reliability: 82.35294, uptime: 0.58333, unknown: 0.16667, downtime: 0.125, excluded: 0 })
  })

  it('counts an excluded group as UNKNOWN in its A/R only, leaving its timeline and lower levels alone', () => {
    const siteB = day.groups[1]
    expect(siteB?.timeline).toEqual(endpoint('ce3')?.timeline)
    expect(siteB?.ar.figures).toMatchObject({ availability: 94.44444, reliability: 100, unknown: 0.25 })
    expect(endpoint('ce3')?.ar.figures).toMatchObject({ availability: 79.16667, reliability: 82.6087, unknown: 0 })
  })

  it('carries a downtime across midnight into the next day', () => {
    const next = computeDay({
      ...input,
      day: '2026-03-11',
      carryOver: [r('2026-03-10T17:00:00Z', 'se1', 'SRM', 'srm.put', 'OK')],
      results: [],
      recomputations: [],
    })
    const se1 = next.endpoints.find((e) => e.hostname === 'se1')
    expect(se1?.timeline).toEqual(tl([['00:00', 'DOWNTIME'], ['03:01', 'OK']]))
    expect(se1?.ar.figures).toMatchObject({ availability: 87.43056, reliability: 100, downtime: 0.12569 })
  })

  it('keeps to the groups the report names', () => {
    const onlyB = computeDay({ ...input, report: { ...report, groups: ['SITE-B'] } })
    expect(onlyB.groups.map((g) => g.group)).toEqual(['SITE-B'])
    // ghost, plus SITE-A's 8 in-day results and 5 carried-over ones.
    expect(onlyB.dropped.not_in_topology).toBe(14)
  })

  it('refuses a downtime whose time is not a timestamp rather than ignore it', () => {
    expect(() => computeDay({ ...input, downtimes: [{ group: 'SITE-A', start: 'soon', end: '2026-03-10T10:00:00Z' }] })).toThrow(/downtime start/)
  })
})
