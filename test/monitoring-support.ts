import type { TestEngine } from './support/test-engine.js'

/** A small federation: two sites of two providers, compute (redundant) and storage services. */
export const TOPOLOGY = {
  date: '2026-03-01',
  groups: [
    {
      group: 'SITE-A',
      type: 'SITES',
      provider: 'prov-a',
      resource: '21.11170/aaa',
      endpoints: [
        { hostname: 'ce1.a.example.org', service: 'compute' },
        { hostname: 'ce2.a.example.org', service: 'compute' },
        { hostname: 'se1.a.example.org', service: 'storage' },
      ],
    },
    { group: 'SITE-B', type: 'SITES', provider: 'prov-b', endpoints: [{ hostname: 'ce3.b.example.org', service: 'compute' }] },
  ],
}

export const REPORT = {
  metric_profile: { compute: ['org.example.CE-JobSubmit'], storage: ['org.example.SRM-Put'] },
  aggregation_profile: {
    metric_operation: 'AND',
    profile_operation: 'AND',
    groups: [
      { name: 'compute', operation: 'OR', services: [{ name: 'compute', operation: 'OR' }] },
      { name: 'storage', operation: 'AND', services: [{ name: 'storage', operation: 'AND' }] },
    ],
  },
}

export const CE = 'org.example.CE-JobSubmit'
export const SRM = 'org.example.SRM-Put'

export const result = (timestamp: string, hostname: string, service: string, metric: string, status: string, extra: Record<string, unknown> = {}) => ({
  timestamp,
  hostname,
  service,
  metric,
  status,
  ...extra,
})

export async function postResults(t: TestEngine, results: unknown[], token?: string) {
  return t.request({
    method: 'POST',
    url: '/v1/probe-results',
    body: results.map((r) => JSON.stringify(r)).join('\n'),
    contentType: 'application/x-ndjson',
    ...(token === undefined ? {} : { token }),
  })
}

export async function setUp(t: TestEngine, report = 'core'): Promise<void> {
  const topo = await t.request({ method: 'PUT', url: '/v1/topology', body: TOPOLOGY })
  if (topo.status !== 200) throw new Error(`topology: ${topo.text}`)
  const rep = await t.request({ method: 'PUT', url: `/v1/sla-reports/${report}`, body: REPORT })
  if (rep.status !== 201 && rep.status !== 200) throw new Error(`report: ${rep.text}`)
}
