import { describe, expect, it } from 'vitest'
import { aggregateGroup, compileProfile, type EndpointMetrics } from './levels.js'
import { SlaReport } from './profiles.js'
import { hms, tl } from './test-support.js'
import { constant } from './timeline.js'

const report = SlaReport.parse({
  metric_profile: { CE: ['ce.submit', 'ce.cert'], 'ARC-CE': ['arc.submit'], SRM: ['srm.put'], BDII: ['bdii.query'] },
  aggregation_profile: {
    metric_operation: 'AND',
    profile_operation: 'AND',
    groups: [
      { name: 'compute', operation: 'OR', services: [{ name: 'CE', operation: 'OR' }, { name: 'ARC-CE', operation: 'OR' }] },
      { name: 'storage', operation: 'AND', services: [{ name: 'SRM', operation: 'AND' }] },
      { name: 'information', operation: 'OR', services: [{ name: 'BDII', operation: 'OR' }] },
    ],
  },
})
const profile = compileProfile(report)

const ce1: EndpointMetrics = {
  hostname: 'ce1',
  service: 'CE',
  metrics: [constant('OK'), tl([['00:00', 'OK'], ['06:00', 'CRITICAL'], ['12:00', 'OK']])],
  downtimes: [],
}
const ce2: EndpointMetrics = {
  hostname: 'ce2',
  service: 'CE',
  metrics: [tl([['00:00', 'OK'], ['10:00', 'CRITICAL'], ['14:00', 'OK']]), tl([['00:00', 'WARNING'], ['01:00', 'OK']])],
  downtimes: [],
}
const se1: EndpointMetrics = { hostname: 'se1', service: 'SRM', metrics: [constant('OK')], downtimes: [{ from: hms('20:00'), to: hms('21:01') }] }

describe('levels (Decision 3)', () => {
  const levels = aggregateGroup(profile, [se1, ce2, ce1])

  it('ANDs the metrics of an endpoint and applies its downtime afterwards', () => {
    expect(levels.endpoints).toEqual([
      { hostname: 'ce1', service: 'CE', timeline: tl([['00:00', 'OK'], ['06:00', 'CRITICAL'], ['12:00', 'OK']]) },
      { hostname: 'ce2', service: 'CE', timeline: tl([['00:00', 'WARNING'], ['01:00', 'OK'], ['10:00', 'CRITICAL'], ['14:00', 'OK']]) },
      { hostname: 'se1', service: 'SRM', timeline: tl([['00:00', 'OK'], ['20:00', 'DOWNTIME'], ['21:01', 'OK']]) },
    ])
  })

  it('ORs redundant endpoints into the service: critical only while both are', () => {
    expect(levels.services).toEqual([
      { service: 'CE', timeline: tl([['00:00', 'OK'], ['10:00', 'CRITICAL'], ['12:00', 'OK']]) },
      { service: 'SRM', timeline: tl([['00:00', 'OK'], ['20:00', 'DOWNTIME'], ['21:01', 'OK']]) },
    ])
  })

  it('leaves absent services and functions out (Decision 12)', () => {
    expect(levels.functions.map((f) => f.function)).toEqual(['compute', 'storage'])
    expect(levels.functions[0]?.timeline).toEqual(levels.services[0]?.timeline)
  })

  it('ANDs the functions into the endpoint group', () => {
    expect(levels.group).toEqual(tl([['00:00', 'OK'], ['10:00', 'CRITICAL'], ['12:00', 'OK'], ['20:00', 'DOWNTIME'], ['21:01', 'OK']]))
  })

  it('makes a function whose services exist but report nothing MISSING, which the AND carries up', () => {
    const bdii: EndpointMetrics = { hostname: 'bdii1', service: 'BDII', metrics: [constant('MISSING')], downtimes: [] }
    const withBdii = aggregateGroup(profile, [ce1, ce2, se1, bdii])
    expect(withBdii.functions.find((f) => f.function === 'information')?.timeline).toEqual(constant('MISSING'))
    // MISSING AND CRITICAL = CRITICAL, MISSING AND DOWNTIME = DOWNTIME, otherwise MISSING.
    expect(withBdii.group).toEqual(tl([['00:00', 'MISSING'], ['10:00', 'CRITICAL'], ['12:00', 'MISSING'], ['20:00', 'DOWNTIME'], ['21:01', 'MISSING']]))
  })

  it('has no group timeline when none of the profile services is present', () => {
    expect(aggregateGroup(profile, [])).toEqual({ endpoints: [], services: [], functions: [], group: undefined })
  })

  it('drops an endpoint with no expected metric', () => {
    expect(aggregateGroup(profile, [{ ...ce1, metrics: [] }]).group).toBeUndefined()
  })

  it('uses each level its own operation: an AND service, an OR function', () => {
    const strict = compileProfile(
      SlaReport.parse({
        metric_profile: { CE: ['m'] },
        aggregation_profile: {
          metric_operation: 'OR',
          profile_operation: 'OR',
          groups: [{ name: 'compute', operation: 'OR', services: [{ name: 'CE', operation: 'AND' }] }],
        },
      }),
    )
    const a: EndpointMetrics = { hostname: 'a', service: 'CE', metrics: [tl([['00:00', 'CRITICAL'], ['12:00', 'OK']]), constant('OK')], downtimes: [] }
    const b: EndpointMetrics = { hostname: 'b', service: 'CE', metrics: [tl([['00:00', 'OK'], ['18:00', 'UNKNOWN']])], downtimes: [] }
    const levels = aggregateGroup(strict, [a, b])
    expect(levels.endpoints[0]?.timeline).toEqual(constant('OK'))
    expect(levels.group).toEqual(tl([['00:00', 'OK'], ['18:00', 'UNKNOWN']]))
  })
})
