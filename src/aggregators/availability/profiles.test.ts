import { describe, expect, it } from 'vitest'
import { EGI_OPS } from './operations-profile.js'
import { DEFAULT_THRESHOLDS, SlaReport } from './profiles.js'

const minimal = {
  metric_profile: { compute: ['org.example.CE-JobSubmit'] },
  aggregation_profile: {
    metric_operation: 'AND',
    profile_operation: 'AND',
    groups: [{ name: 'compute', operation: 'OR', services: [{ name: 'compute', operation: 'OR' }] }],
  },
}

describe('SlaReport schema (DESIGN §3.4)', () => {
  it('defaults the operations profile to egi_ops and the thresholds to 80/85/80/10/10', () => {
    const report = SlaReport.parse(minimal)
    expect(report.operations_profile).toEqual(EGI_OPS)
    expect(report.thresholds).toEqual({ availability: 80, reliability: 85, uptime: 80, unknown: 10, downtime: 10 })
    expect(DEFAULT_THRESHOLDS).toEqual(report.thresholds)
    expect(report.groups).toBeUndefined()
  })

  it('fills the thresholds that are not given', () => {
    expect(SlaReport.parse({ ...minimal, thresholds: { availability: 95 } }).thresholds).toEqual({ ...DEFAULT_THRESHOLDS, availability: 95 })
  })

  it('upper-cases operation names and drops extra ARGO profile fields', () => {
    const report = SlaReport.parse({
      ...minimal,
      groups: ['SITE-A'],
      aggregation_profile: { ...minimal.aggregation_profile, metric_operation: 'and', endpoint_group: 'sites', id: 'x' },
    })
    expect(report.aggregation_profile.metric_operation).toBe('AND')
    expect(report.aggregation_profile).not.toHaveProperty('endpoint_group')
    expect(report.groups).toEqual(['SITE-A'])
  })

  const issues = (input: unknown) => {
    const r = SlaReport.safeParse(input)
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
  }

  it('refuses an operation the operations profile does not define', () => {
    expect(issues({ ...minimal, aggregation_profile: { ...minimal.aggregation_profile, profile_operation: 'XOR' } })).toEqual([
      'aggregation_profile.profile_operation: operation XOR is not in the operations profile',
    ])
  })

  it('refuses a profile service with no metrics', () => {
    expect(issues({ ...minimal, metric_profile: { storage: ['x'] } })).toEqual([
      'aggregation_profile.groups.0.services.0.name: service compute has no metrics in metric_profile',
    ])
  })

  it('refuses a service combined with two different operations', () => {
    const groups = [
      { name: 'a', operation: 'OR', services: [{ name: 'compute', operation: 'OR' }] },
      { name: 'b', operation: 'OR', services: [{ name: 'compute', operation: 'AND' }] },
    ]
    expect(issues({ ...minimal, aggregation_profile: { ...minimal.aggregation_profile, groups } })).toEqual([
      'aggregation_profile.groups.1.services.0.operation: service compute is combined with OR elsewhere',
    ])
  })

  it('refuses duplicates, unknown keys and out-of-range targets', () => {
    const dupGroups = [...minimal.aggregation_profile.groups, ...minimal.aggregation_profile.groups]
    expect(issues({ ...minimal, aggregation_profile: { ...minimal.aggregation_profile, groups: dupGroups } })).toContain(
      'aggregation_profile.groups.1.name: duplicate group compute',
    )
    expect(issues({ ...minimal, metric_profile: { compute: ['m', 'm'] } })).toEqual(['metric_profile.compute: metric m is listed twice'])
    expect(issues({ ...minimal, threshold: { availability: 90 } })).toHaveLength(1)
    expect(issues({ ...minimal, thresholds: { availability: 101 } })).toHaveLength(1)
    expect(issues({ ...minimal, thresholds: { uptime: 0.8, unkown: 10 } })).toHaveLength(1)
  })
})
