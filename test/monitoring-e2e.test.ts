import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, type TestEngine } from './support/test-engine.js'
import { CE, postResults, result, setUp, SRM } from './monitoring-support.js'

/**
 * End to end over the HTTP API: topology + report + a day of probe results + a downtime give
 * daily and monthly A/R at every level, status timelines, ARGO-compatible payloads and the
 * monthly report in JSON, CSV and HTML. Expected figures are worked out by hand in the comments.
 */
let t: TestEngine
const D = '2026-03-10'

beforeAll(async () => {
  t = await startTestEngine({ env: { EOSC_AM_PROBER_ENABLED: 'false' } })
  await setUp(t)
  const res = await postResults(t, [
    // ce1: OK, CRITICAL 06–12, OK → 75 %. ce2: OK all day. compute = ce1 OR ce2 = OK all day.
    result(`${D}T00:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'OK'),
    result(`${D}T06:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'CRITICAL'),
    result(`${D}T12:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'ok'),
    result(`${D}T00:00:00Z`, 'ce2.a.example.org', 'compute', CE, 'OK'),
    // se1: OK, CRITICAL 18–20, OK; the downtime 18:00–18:59 covers [18:00, 19:00).
    result(`${D}T00:00:00Z`, 'se1.a.example.org', 'storage', SRM, 'OK'),
    result(`${D}T18:00:00Z`, 'se1.a.example.org', 'storage', SRM, 'CRITICAL'),
    result(`${D}T20:00:00Z`, 'se1.a.example.org', 'storage', SRM, 'OK'),
    // ce3 (SITE-B): CRITICAL until noon, then OK.
    result(`${D}T00:00:00Z`, 'ce3.b.example.org', 'compute', CE, 'CRITICAL'),
    result(`${D}T12:00:00Z`, 'ce3.b.example.org', 'compute', CE, 'OK'),
  ])
  expect(res.status).toBe(202)
  expect(res.body).toEqual({ accepted: 9, rejected: [], warnings: [] })
  const dt = await t.request({
    method: 'POST',
    url: '/v1/downtimes',
    body: { downtime_id: 'dt-1', hostname: 'se1.a.example.org', service: 'storage', start: `${D}T18:00:00Z`, end: `${D}T18:59:00Z`, reason: 'disk swap' },
  })
  expect(dt.body).toEqual({ accepted: 1, rejected: [] })
})
afterAll(() => t.close())

// SITE-A = compute AND storage = se1's timeline: up 22 h, DOWNTIME 1 h, CRITICAL 1 h.
const SITE_A_DAY = { availability: 91.66667, reliability: 95.65217, uptime: 0.91667, unknown: 0, downtime: 0.04167, excluded: 0 }

describe('daily A/R', () => {
  it('at group level', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}` })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ report: 'core', from: D, to: D, granularity: 'day', level: 'group' })
    expect(res.body.rows).toEqual([
      { group: 'SITE-A', period: D, ...SITE_A_DAY, days: 1, computed_days: 1 },
      { group: 'SITE-B', period: D, availability: 50, reliability: 50, uptime: 0.5, unknown: 0, downtime: 0, excluded: 0, days: 1, computed_days: 1 },
    ])
  })

  it('at service level, each service from its own timeline', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&level=service&group=SITE-A` })
    expect(res.body.rows).toEqual([
      { group: 'SITE-A', service: 'compute', period: D, availability: 100, reliability: 100, uptime: 1, unknown: 0, downtime: 0, excluded: 0, days: 1, computed_days: 1 },
      { group: 'SITE-A', service: 'storage', period: D, ...SITE_A_DAY, days: 1, computed_days: 1 },
    ])
  })

  it('at endpoint level', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&level=endpoint` })
    const byHost = Object.fromEntries(res.body.rows.map((r: any) => [r.hostname, r]))
    expect(Object.keys(byHost).sort()).toEqual(['ce1.a.example.org', 'ce2.a.example.org', 'ce3.b.example.org', 'se1.a.example.org'])
    expect(byHost['ce1.a.example.org']).toMatchObject({ group: 'SITE-A', service: 'compute', availability: 75, reliability: 75, uptime: 0.75 })
    expect(byHost['ce2.a.example.org']).toMatchObject({ availability: 100 })
    expect(byHost['se1.a.example.org']).toMatchObject(SITE_A_DAY)
  })

  it('as CSV', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&format=csv` })
    expect(res.headers['content-type']).toMatch(/text\/csv/)
    expect(res.text.split('\r\n')).toEqual([
      'group,period,availability,reliability,uptime,unknown,downtime,excluded,days,computed_days',
      `SITE-A,${D},91.66667,95.65217,0.91667,0,0.04167,0,1,1`,
      `SITE-B,${D},50,50,0.5,0,0,0,1,1`,
      '',
    ])
  })
})

describe('monthly A/R', () => {
  // March: days 1–9 have no result yet (MISSING, unknown); day 10 as above; days 11–31 carry
  // each metric's last status of day 10 (all OK) through the whole day.
  // SITE-A: up = 79,200 + 21 × 86,400 = 1,893,600 s; unknown 9 days; downtime 3,600 s.
  // A = 1,893,600 / (31 − 9) days = 99.62121 %, R = 1,893,600 / (1,900,800 − 3,600) = 99.81025 %.
  it('time-weighted from exact seconds, judged against the targets', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/availability/core?from=2026-03-01&to=2026-03-31&granularity=month' })
    expect(res.status).toBe(200)
    const [a, b] = res.body.rows
    expect(a).toEqual({
      group: 'SITE-A',
      period: '2026-03',
      availability: 99.62121,
      reliability: 99.81025,
      uptime: 0.70699,
      unknown: 0.29032,
      downtime: 0.00134,
      excluded: 0,
      days: 31,
      computed_days: 31,
      target_availability: 80,
      target_reliability: 85,
      // unknown 29 % is above its 10 % target, uptime 70.7 % below its 80 %.
      breach: true,
    })
    // SITE-B: up 12 h on day 10 + 21 days → (43,200 + 1,814,400) / 1,900,800.
    expect(b).toMatchObject({ group: 'SITE-B', availability: 97.72727, reliability: 97.72727 })
  })

  it('at every level', async () => {
    for (const level of ['group', 'service', 'endpoint']) {
      const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=2026-03-01&to=2026-03-31&granularity=month&level=${level}` })
      expect(res.status).toBe(200)
      expect(res.body.rows.length).toBe({ group: 2, service: 3, endpoint: 4 }[level])
      for (const r of res.body.rows) expect(r.days).toBe(31)
    }
  })

  it('over a custom range', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=2026-03-11&granularity=range&group=SITE-B` })
    // Day 10: 12 h up; day 11: OK all day → 129,600 / 172,800.
    expect(res.body.rows).toEqual([expect.objectContaining({ group: 'SITE-B', period: `${D}/2026-03-11`, availability: 75, days: 2 })])
  })
})

describe('status timelines', () => {
  it('at endpoint level, downtime applied and the true status restored after it', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/status/core?from=${D}&to=${D}&level=endpoint&group=SITE-A` })
    expect(res.status).toBe(200)
    const se1 = res.body.rows.find((r: any) => r.hostname === 'se1.a.example.org')
    expect(se1).toEqual({
      group: 'SITE-A',
      service: 'storage',
      hostname: 'se1.a.example.org',
      statuses: [
        { timestamp: `${D}T00:00:00Z`, status: 'OK' },
        { timestamp: `${D}T18:00:00Z`, status: 'DOWNTIME' },
        { timestamp: `${D}T19:00:00Z`, status: 'CRITICAL' },
        { timestamp: `${D}T20:00:00Z`, status: 'OK' },
      ],
    })
  })

  it('at every level', async () => {
    const expected = { group: 2, function: 3, service: 3, endpoint: 4, metric: 4 } as const
    for (const [level, n] of Object.entries(expected)) {
      const res = await t.request({ method: 'GET', url: `/v1/status/core?from=${D}&to=${D}&level=${level}` })
      expect(res.status).toBe(200)
      expect(res.body.rows).toHaveLength(n)
    }
    const fn = await t.request({ method: 'GET', url: `/v1/status/core?from=${D}&to=${D}&level=function&group=SITE-A` })
    expect(fn.body.rows.map((r: any) => r.function)).toEqual(['compute', 'storage'])
  })

  it('across days, without repeating an unchanged status at midnight', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/status/core?from=2026-03-09&to=2026-03-11&group=SITE-B` })
    expect(res.body.rows).toEqual([
      {
        group: 'SITE-B',
        statuses: [
          { timestamp: '2026-03-09T00:00:00Z', status: 'MISSING' },
          { timestamp: `${D}T00:00:00Z`, status: 'CRITICAL' },
          { timestamp: `${D}T12:00:00Z`, status: 'OK' },
        ],
      },
    ])
  })
})

describe('ARGO-compatible reads', () => {
  const window = `start_time=${D}T00:00:00Z&end_time=${D}T23:59:59Z`

  it('endpoint group results, numbers as strings', async () => {
    const res = await t.request({ method: 'GET', url: `/api/v2/results/core/SITES/SITE-A?${window}` })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      results: [
        {
          name: 'prov-a',
          type: 'PROVIDER',
          endpoints: [
            { name: 'SITE-A', type: 'SITES', results: [{ timestamp: D, availability: '91.66667', reliability: '95.65217', unknown: '0', uptime: '0.91667', downtime: '0.04167' }] },
          ],
        },
      ],
    })
  })

  it('monthly, services and endpoints, with x-api-key', async () => {
    const monthly = await t.request({ method: 'GET', url: '/api/v2/results/core/SITES?start_time=2026-03-01T00:00:00Z&end_time=2026-03-31T23:59:59Z&granularity=monthly' })
    expect(monthly.body.results.flatMap((s: any) => s.endpoints.map((e: any) => [e.name, e.results[0].timestamp, e.results[0].availability]))).toEqual([
      ['SITE-A', '2026-03', '99.62121'],
      ['SITE-B', '2026-03', '97.72727'],
    ])
    const services = await t.request({ method: 'GET', url: `/api/v2/results/core/SITES/SITE-A/services?${window}` })
    expect(services.body.results[0]).toMatchObject({ name: 'SITE-A', type: 'SITES' })
    expect(services.body.results[0].serviceflavors.map((s: any) => [s.name, s.type, s.results[0].availability])).toEqual([
      ['compute', 'service', '100'],
      ['storage', 'service', '91.66667'],
    ])
    const endpoints = await t.request({ method: 'GET', url: `/api/v2/results/core/SITES/SITE-A/services/compute/endpoints/ce1.a.example.org?${window}&granularity=custom` })
    expect(endpoints.body.results[0].serviceflavors[0].endpoints).toEqual([
      { name: 'ce1.a.example.org', type: 'endpoint', results: [{ availability: '75', reliability: '75', unknown: '0', uptime: '0.75', downtime: '0' }] },
    ])
    const viaKey = await t.engine.app.inject({ method: 'GET', url: `/api/v2/results/core/SITES/SITE-B?${window}`, headers: { 'x-api-key': 'test-admin-token-0123456789' } })
    expect(viaKey.statusCode).toBe(200)
  })

  it('undefined A/R is -1', async () => {
    // 2026-03-05: no result yet, everything MISSING.
    const res = await t.request({ method: 'GET', url: '/api/v2/results/core/SITES/SITE-B?start_time=2026-03-05T00:00:00Z&end_time=2026-03-05T23:59:59Z' })
    expect(res.body.results[0].endpoints[0].results).toEqual([{ timestamp: '2026-03-05', availability: '-1', reliability: '-1', unknown: '1', uptime: '0', downtime: '0' }])
  })

  it('status timelines closed at 23:59:59', async () => {
    const res = await t.request({ method: 'GET', url: `/api/v2/status/core/SITES/SITE-A?${window}` })
    expect(res.body).toEqual({
      groups: [
        {
          name: 'SITE-A',
          type: 'SITES',
          statuses: [
            { timestamp: `${D}T00:00:00Z`, value: 'OK' },
            { timestamp: `${D}T18:00:00Z`, value: 'DOWNTIME' },
            { timestamp: `${D}T19:00:00Z`, value: 'CRITICAL' },
            { timestamp: `${D}T20:00:00Z`, value: 'OK' },
            { timestamp: `${D}T23:59:59Z`, value: 'OK' },
          ],
        },
      ],
    })
    const metric = await t.request({ method: 'GET', url: `/api/v2/status/core/SITES/SITE-A/services/compute/endpoints/ce1.a.example.org/metrics?${window}` })
    expect(metric.body.groups[0].services[0].endpoints[0].metrics[0]).toMatchObject({ name: CE, type: 'metric' })
    expect(metric.body.groups[0].services[0].endpoints[0].metrics[0].statuses.map((s: any) => s.value)).toEqual(['OK', 'CRITICAL', 'OK', 'OK'])
  })

  it('404 for a group type or group the topology does not have', async () => {
    expect((await t.request({ method: 'GET', url: `/api/v2/results/core/NGI/SITE-A?${window}` })).status).toBe(404)
    expect((await t.request({ method: 'GET', url: `/api/v2/results/core/SITES/SITE-Z?${window}` })).status).toBe(404)
    expect((await t.request({ method: 'GET', url: `/api/v2/results/nope/SITES/SITE-A?${window}` })).status).toBe(404)
  })
})

describe('monthly report', () => {
  it('as JSON: per group figures, targets, breaches, daily values, downtimes', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03' })
    expect(res.status).toBe(200)
    const doc = res.body
    expect(doc).toMatchObject({
      report: 'core',
      month: '2026-03',
      from: '2026-03-01',
      to: '2026-03-31',
      closed: true,
      thresholds: { availability: 80, reliability: 85, uptime: 80, unknown: 10, downtime: 10 },
      summary: { groups: 2, groups_in_breach: 2 },
    })
    const a = doc.groups[0]
    expect(a).toMatchObject({
      group: 'SITE-A',
      type: 'SITES',
      provider: 'prov-a',
      resource: '21.11170/aaa',
      availability: 99.62121,
      reliability: 99.81025,
      breach: true,
      breaches: { availability: false, reliability: false, uptime: true, unknown: true, downtime: false },
    })
    expect(a.daily).toHaveLength(31)
    expect(a.daily[9]).toEqual({ day: D, ...SITE_A_DAY })
    expect(a.daily[0]).toMatchObject({ day: '2026-03-01', availability: null, unknown: 1 })
    expect(doc.downtimes).toEqual([
      { downtime_id: 'dt-1', group: '', hostname: 'se1.a.example.org', service: 'storage', start: `${D}T18:00:00Z`, end: `${D}T18:59:00Z`, reason: 'disk swap', groups: ['SITE-A'] },
    ])
    expect(doc.providers.map((p: any) => p.provider)).toEqual(['prov-a', 'prov-b'])
    expect(doc.providers[0]).toMatchObject({ groups: 1, time_weighted: { availability: 99.62121 } })
  })

  it('as CSV, one line per group', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03?format=csv' })
    expect(res.status).toBe(200)
    const lines = res.text.trim().split('\r\n')
    expect(lines[0]).toBe(
      'report,month,group,type,provider,resource,availability,reliability,uptime,unknown,downtime,excluded,days,computed_days,' +
        'target_availability,target_reliability,target_uptime,target_unknown,target_downtime,breach,breach_availability,breach_reliability,breach_uptime,breach_unknown,breach_downtime',
    )
    expect(lines[1]).toBe('core,2026-03,SITE-A,SITES,prov-a,21.11170/aaa,99.62121,99.81025,0.70699,0.29032,0.00134,0,31,31,80,85,80,10,10,true,false,false,true,true,false')
    expect(lines).toHaveLength(3)
  })

  it('as a self-contained HTML page', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03?format=html' })
    expect(res.headers['content-type']).toMatch(/text\/html/)
    expect(res.text).toMatch(/^<!doctype html>/)
    expect(res.text).toContain('SITE-A')
    expect(res.text).toContain('99.621')
    expect(res.text).toContain('disk swap')
    expect(res.text).toMatch(/class="breach"/)
    expect(res.text).toContain('<svg class="bars"')
    // No external assets.
    expect(res.text).not.toMatch(/<(script|link|img)\b|https?:\/\//)
  })

  it('regenerates to the same figures, and serves the stored one while nothing changed', async () => {
    const first = await t.request({ method: 'POST', url: '/v1/reports/availability/core/2026-03' })
    expect(first.status).toBe(201)
    const second = await t.request({ method: 'POST', url: '/v1/reports/availability/core/2026-03' })
    const { generated_at: _a, ...a } = first.body
    const { generated_at: _b, ...b } = second.body
    expect(b).toEqual(a)
    const stored = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03' })
    expect(stored.body.generated_at).toBe(second.body.generated_at)
  })

  it('refuses a month that has not started', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2099-01' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('MONTH_NOT_STARTED')
  })
})

describe('changes after the fact', () => {
  it('a late result recomputes its day and the next days that carry its status', async () => {
    const before = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03' })
    // ce3 went CRITICAL again at 18:00 on day 10 — reported late. Day 10: up 12–18 only → 25 %;
    // day 11 now starts CRITICAL and stays so → 0 %; day 12 onwards likewise. The month:
    // 21,600 s up of 22 known days → 1.13636 %.
    const late = await postResults(t, [result(`${D}T18:00:00Z`, 'ce3.b.example.org', 'compute', CE, 'CRITICAL')])
    expect(late.body.accepted).toBe(1)
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=2026-03-12&group=SITE-B` })
    expect(res.body.rows.map((r: any) => [r.period, r.availability])).toEqual([
      [D, 25],
      ['2026-03-11', 0],
      ['2026-03-12', 0],
    ])
    // The stored monthly report is stale now and is regenerated with the new figures.
    const after = await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03' })
    // (generated_at has whole seconds: both may fall in the same one, so compare the figures.)
    expect(before.body.groups[1].availability).not.toBe(1.13636)
    expect(after.body.groups[1]).toMatchObject({ group: 'SITE-B', availability: 1.13636 })
    expect(after.body.groups[0].availability).toBe(99.62121)
  })

  it('a recomputation excludes a monitoring outage and is listed in the report', async () => {
    const rec = await t.request({
      method: 'POST',
      url: '/v1/sla-reports/core/recomputations',
      body: { kind: 'exclude_group', group: 'SITE-B', start: `${D}T00:00:00Z`, end: `${D}T12:00:00Z`, reason: 'probe box outage' },
    })
    expect(rec.status).toBe(201)
    expect(rec.body).toMatchObject({ report: 'core', kind: 'exclude_group', group: 'SITE-B', reason: 'probe box outage', requested_by: expect.any(String) })
    // Day 10 of SITE-B: 00–12 now UNKNOWN, so A = 6 h up of 12 h known = 50 %.
    const day = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&group=SITE-B` })
    expect(day.body.rows[0]).toMatchObject({ availability: 50, unknown: 0.5 })
    const doc = (await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-03' })).body
    expect(doc.recomputations).toEqual([expect.objectContaining({ id: rec.body.id, kind: 'exclude_group', group: 'SITE-B', reason: 'probe box outage' })])
    const list = await t.request({ method: 'GET', url: '/v1/sla-reports/core/recomputations' })
    expect(list.body.rows).toHaveLength(1)
  })

  it('deleting the downtime gives the CRITICAL hour back to the figures', async () => {
    expect((await t.request({ method: 'DELETE', url: '/v1/downtimes/dt-1' })).status).toBe(204)
    const res = await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&group=SITE-A` })
    // se1 CRITICAL 18–20: up 22 h → 91.66667 for both.
    expect(res.body.rows[0]).toMatchObject({ availability: 91.66667, reliability: 91.66667, downtime: 0 })
    const list = await t.request({ method: 'GET', url: `/v1/downtimes?from=${D}&to=${D}` })
    expect(list.body.rows).toEqual([])
  })

  it('a late topology version recomputes the days it governs', async () => {
    // From day 20 on, SITE-A loses ce2; its compute service is then ce1 only.
    const res = await t.request({
      method: 'PUT',
      url: '/v1/topology',
      body: {
        date: '2026-03-20',
        groups: [
          { group: 'SITE-A', type: 'SITES', provider: 'prov-a', endpoints: [{ hostname: 'ce1.a.example.org', service: 'compute' }, { hostname: 'se1.a.example.org', service: 'storage' }] },
          { group: 'SITE-B', type: 'SITES', provider: 'prov-b', endpoints: [{ hostname: 'ce3.b.example.org', service: 'compute' }] },
        ],
      },
    })
    expect(res.status).toBe(200)
    expect(res.body.days_marked).toBeGreaterThan(0)
    const rows = (await t.request({ method: 'GET', url: '/v1/availability/core?from=2026-03-19&to=2026-03-20&level=endpoint&group=SITE-A' })).body.rows
    expect(rows.map((r: any) => [r.hostname, r.period])).toEqual([
      ['ce1.a.example.org', '2026-03-19'],
      ['ce1.a.example.org', '2026-03-20'],
      ['ce2.a.example.org', '2026-03-19'],
      ['se1.a.example.org', '2026-03-19'],
      ['se1.a.example.org', '2026-03-20'],
    ])
  })
})
