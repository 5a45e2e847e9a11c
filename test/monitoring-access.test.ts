import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, type TestEngine } from './support/test-engine.js'
import { CE, postResults, result, setUp } from './monitoring-support.js'

/** Who may do what in monitoring (DESIGN §3.1, §3.4): roles, and provider tokens kept to their groups. */
let t: TestEngine
let monitor: string
let provA: string
let provB: string
let funder: string
let sla: string
const D = '2026-04-02'

beforeAll(async () => {
  t = await startTestEngine({ env: { EOSC_AM_PROBER_ENABLED: 'false' } })
  await setUp(t)
  ;[monitor, provA, provB, funder, sla] = await Promise.all([
    t.token('monitor'),
    t.token('provider', ['prov-a']),
    t.token('provider', ['prov-b']),
    t.token('funder'),
    t.token('sla_manager'),
  ])
  await postResults(t, [
    result(`${D}T00:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'OK'),
    result(`${D}T00:00:00Z`, 'ce3.b.example.org', 'compute', CE, 'OK'),
  ])
})
afterAll(() => t.close())

const get = (url: string, token: string | null) => t.request({ method: 'GET', url, token })

describe('probe results', () => {
  it('are pushed by monitor and admin tokens only', async () => {
    const body = [result(`${D}T01:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'OK')]
    expect((await postResults(t, body, monitor)).status).toBe(202)
    for (const token of [provA, funder, sla]) expect((await postResults(t, body, token)).status).toBe(403)
    const anonymous = await t.request({ method: 'POST', url: '/v1/probe-results', body: body[0], token: null })
    expect(anonymous.status).toBe(401)
  })
})

describe('configuration', () => {
  it('topology and report definitions are admin-only', async () => {
    for (const token of [sla, monitor, provA]) {
      expect((await t.request({ method: 'PUT', url: '/v1/topology', body: { groups: [] }, token })).status).toBe(403)
      expect((await t.request({ method: 'PUT', url: '/v1/sla-reports/x', body: {}, token })).status).toBe(403)
    }
  })

  it('a provider reads its own part of the topology', async () => {
    const res = await get(`/v1/topology?date=${D}`, provA)
    expect(res.status).toBe(200)
    expect(res.body.groups.map((g: any) => g.group)).toEqual(['SITE-A'])
  })

  it('recomputations are requested by SLA managers and admins', async () => {
    const body = { kind: 'exclude_monitoring_host', monitoring_host: 'mon-x', start: `${D}T00:00:00Z`, end: `${D}T01:00:00Z`, reason: 'broken probe box' }
    for (const token of [provA, funder, monitor]) expect((await t.request({ method: 'POST', url: '/v1/sla-reports/core/recomputations', body, token })).status).toBe(403)
    const ok = await t.request({ method: 'POST', url: '/v1/sla-reports/core/recomputations', body, token: sla })
    expect(ok.status).toBe(201)
    expect(ok.body.requested_by).toBe('sla_manager-')
  })
})

describe('downtimes', () => {
  const dt = (over: Record<string, unknown>) => ({ downtime_id: 'x', start: `${D}T10:00:00Z`, end: `${D}T11:00:00Z`, ...over })

  it('a provider declares them for its own groups and endpoints only', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/downtimes',
      token: provA,
      body: [
        dt({ downtime_id: 'a-group', group: 'SITE-A' }),
        dt({ downtime_id: 'a-host', hostname: 'ce1.a.example.org', service: 'compute' }),
        dt({ downtime_id: 'b-group', group: 'SITE-B' }),
        dt({ downtime_id: 'b-host', hostname: 'ce3.b.example.org', service: 'compute' }),
        dt({ downtime_id: 'ghost', hostname: 'ghost.example.org', service: 'compute' }),
      ],
    })
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(2)
    expect(res.body.rejected).toEqual([
      { index: 2, errors: ["group: this token may not declare downtimes for group 'SITE-B'"] },
      { index: 3, errors: ["hostname: this token may not declare downtimes for endpoint 'ce3.b.example.org' / 'compute'"] },
      { index: 4, errors: ["hostname: endpoint 'ghost.example.org' / 'compute' is not in the topology"] },
    ])
  })

  it('a provider can neither replace nor delete another provider\'s downtime', async () => {
    expect((await t.request({ method: 'POST', url: '/v1/downtimes', token: provB, body: dt({ downtime_id: 'b-1', group: 'SITE-B' }) })).body.accepted).toBe(1)
    const replace = await t.request({ method: 'POST', url: '/v1/downtimes', token: provA, body: dt({ downtime_id: 'b-1', group: 'SITE-A' }) })
    expect(replace.body.rejected[0].errors).toEqual(["downtime_id: 'b-1' belongs to another provider"])
    expect((await t.request({ method: 'DELETE', url: '/v1/downtimes/b-1', token: provA })).status).toBe(403)
    expect((await t.request({ method: 'DELETE', url: '/v1/downtimes/b-1', token: provB })).status).toBe(204)
    expect((await t.request({ method: 'DELETE', url: '/v1/downtimes/b-1', token: provB })).status).toBe(404)
  })

  it('a provider lists its own downtimes; monitor and funder tokens may not declare any', async () => {
    const own = await get(`/v1/downtimes?from=${D}&to=${D}`, provA)
    expect(own.body.rows.map((r: any) => r.downtime_id).sort()).toEqual(['a-group', 'a-host'])
    expect((await get(`/v1/downtimes?from=${D}&to=${D}`, provB)).body.rows).toEqual([])
    for (const token of [monitor, funder]) expect((await t.request({ method: 'POST', url: '/v1/downtimes', token, body: dt({ group: 'SITE-A' }) })).status).toBe(403)
  })
})

describe('availability reads', () => {
  it('a provider sees its own groups only', async () => {
    const res = await get(`/v1/availability/core?from=${D}&to=${D}`, provA)
    expect(res.status).toBe(200)
    expect(res.body.rows.map((r: any) => r.group)).toEqual(['SITE-A'])
    const other = await get(`/v1/availability/core?from=${D}&to=${D}&group=SITE-B`, provA)
    expect(other.status).toBe(403)
    const status = await get(`/v1/status/core?from=${D}&to=${D}&level=endpoint`, provA)
    expect(new Set(status.body.rows.map((r: any) => r.group))).toEqual(new Set(['SITE-A']))
  })

  it('a funder reads monthly figures only', async () => {
    expect((await get(`/v1/availability/core?from=${D}&to=${D}`, funder)).status).toBe(403)
    const month = await get('/v1/availability/core?from=2026-04-01&to=2026-04-30&granularity=month', funder)
    expect(month.status).toBe(200)
    expect(month.body.rows.map((r: any) => r.group)).toEqual(['SITE-A', 'SITE-B'])
    expect((await get(`/v1/status/core?from=${D}&to=${D}`, funder)).status).toBe(403)
    const window = 'start_time=2026-04-01T00:00:00Z&end_time=2026-04-30T23:59:59Z'
    expect((await get(`/api/v2/results/core/SITES?${window}`, funder)).status).toBe(403)
    expect((await get(`/api/v2/results/core/SITES?${window}&granularity=monthly`, funder)).status).toBe(200)
  })

  it('SLA managers read everything; monitor tokens read no figures', async () => {
    expect((await get(`/v1/availability/core?from=${D}&to=${D}&level=endpoint`, sla)).body.rows).toHaveLength(4)
    expect((await get(`/v1/availability/core?from=${D}&to=${D}`, monitor)).status).toBe(403)
  })

  it('ARGO-compatible reads hide other providers\' groups', async () => {
    const window = `start_time=${D}T00:00:00Z&end_time=${D}T23:59:59Z`
    expect((await get(`/api/v2/results/core/SITES/SITE-B?${window}`, provA)).status).toBe(404)
    const all = await get(`/api/v2/results/core/SITES?${window}`, provA)
    expect(all.body.results.map((s: any) => s.name)).toEqual(['prov-a'])
  })
})

describe('monthly report', () => {
  it('is read by SLA managers, admins, funders, and providers for their own groups', async () => {
    const url = '/v1/reports/availability/core/2026-04'
    expect((await get(url, sla)).body.groups).toHaveLength(2)
    expect((await get(url, funder)).status).toBe(200)
    const own = await get(url, provA)
    expect(own.body.groups.map((g: any) => g.group)).toEqual(['SITE-A'])
    expect(own.body.providers.map((p: any) => p.provider)).toEqual(['prov-a'])
    expect(own.body.downtimes.map((d: any) => d.downtime_id).sort()).toEqual(['a-group', 'a-host'])
    expect((await get(url, monitor)).status).toBe(403)
  })

  it('is generated on demand by SLA managers and admins only', async () => {
    const url = '/v1/reports/availability/core/2026-04'
    for (const token of [provA, funder, monitor]) expect((await t.request({ method: 'POST', url, token })).status).toBe(403)
    expect((await t.request({ method: 'POST', url, token: sla })).status).toBe(201)
  })
})

describe('OpenAPI', () => {
  it('documents every monitoring route', async () => {
    const res = await t.request({ method: 'GET', url: '/docs/json', token: null })
    expect(res.status).toBe(200)
    const paths = Object.keys(res.body.paths)
    for (const p of [
      '/v1/topology', '/v1/sla-reports/{name}', '/v1/sla-reports/{name}/recomputations', '/v1/probe-results', '/v1/downtimes',
      '/v1/downtimes/{id}', '/v1/availability/{report}', '/v1/status/{report}', '/v1/reports/availability/{report}/{month}',
      '/api/v2/results/{report}/{group_type}/{group}', '/api/v2/status/{report}/{group_type}/{group}',
    ]) {
      expect(paths).toContain(p)
    }
  })
})
