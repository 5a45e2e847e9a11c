import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

let t: TestEngine
let provA: string
let provB: string
let funder: string

const get = (url: string, token?: string) => t.request({ method: 'GET', url, token })

beforeAll(async () => {
  t = await startTestEngine()
  await t.metric('cpu_hours', 'sum', 'h')
  await t.metric('storage_gb', 'max', 'GB')
  await t.metric('storage_avg', 'avg', 'GB')
  await t.metric('storage_last', 'last', 'GB')
  provA = await t.token('provider', ['prov-a'])
  provB = await t.token('provider', ['prov-b'])
  funder = await t.token('funder')
  // prov-a: big-res used by 6 users in Jan, small-res by 2 users in Jan; prov-b: 5 users in Feb.
  const a = [
    ...Array.from({ length: 6 }, (_, i) => usageRecord({ provider: 'prov-a', record_id: `a-big-${i}`, resource: 'big-res', value: 10, user: `user${i}@egi.eu`, group: 'vo.a' })),
    ...Array.from({ length: 2 }, (_, i) => usageRecord({ provider: 'prov-a', record_id: `a-small-${i}`, resource: 'small-res', value: 1, user: `user${i}@egi.eu`, group: 'vo.a' })),
  ]
  const b = Array.from({ length: 5 }, (_, i) =>
    usageRecord({ provider: 'prov-b', record_id: `b-${i}`, resource: 'b-res', value: 2, user: `buser${i}@egi.eu`, start: '2026-02-03T00:00:00Z', end: '2026-02-03T05:00:00Z' }),
  )
  expect((await t.request({ method: 'POST', url: '/v1/usage-records', body: a, token: provA })).body.accepted).toBe(8)
  expect((await t.request({ method: 'POST', url: '/v1/usage-records', body: b, token: provB })).body.accepted).toBe(5)
})
afterAll(() => t.close())

describe('GET /v1/usage', () => {
  it('sums per month and provider with distinct users', async () => {
    const res = await get('/v1/usage?from=2026-01&to=2026-12&granularity=month&group_by=provider')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ from: '2026-01-01', to: '2026-12-31', granularity: 'month', group_by: ['provider'] })
    expect(res.body.rows).toEqual([
      { period: '2026-01', provider: 'prov-a', metric: 'cpu_hours', unit: 'h', value: 62, records: 8, users: 6, suppressed: false },
      { period: '2026-02', provider: 'prov-b', metric: 'cpu_hours', unit: 'h', value: 10, records: 5, users: 5, suppressed: false },
    ])
  })

  it('answers day, year and total granularities with the same totals', async () => {
    const day = await get('/v1/usage?from=2026-01-01&to=2026-02-28&granularity=day')
    expect(day.body.rows.map((r: any) => [r.period, r.value])).toEqual([['2026-01-10', 62], ['2026-02-03', 10]])
    const year = await get('/v1/usage?from=2026-01&to=2026-12&granularity=year')
    expect(year.body.rows).toMatchObject([{ period: '2026', value: 72, records: 13, users: 11 }])
    const totalRes = await get('/v1/usage?from=2026-01-01&to=2026-12-31&granularity=total')
    expect(totalRes.body.rows).toMatchObject([{ period: '2026-01-01/2027-01-01', value: 72, records: 13, users: 11 }])
  })

  it('filters by resource, group and provider lists', async () => {
    const res = await get('/v1/usage?from=2026-01&to=2026-12&resource=small-res,b-res&group_by=resource')
    expect(res.body.rows.map((r: any) => [r.resource, r.value])).toEqual([['small-res', 2], ['b-res', 10]])
    const grp = await get('/v1/usage?from=2026-01&to=2026-12&group=vo.a&granularity=total')
    expect(grp.body.rows).toMatchObject([{ value: 62 }])
  })

  it('refuses bad queries with the field named', async () => {
    for (const [q, field] of [
      ['from=2026-13', 'from'],
      ['from=2026-02-30', 'from'],
      ['granularity=hour', 'granularity'],
      ['group_by=user', 'group_by'],
      ['from=2026-05&to=2026-01', 'from'],
      ['format=xml', 'format'],
    ]) {
      const res = await get(`/v1/usage?${q}`)
      expect(res.status, q).toBe(400)
      expect(res.body.error.code).toBe('VALIDATION_FAILED')
      expect(res.body.error.message).toContain(field)
    }
  })

  it('writes CSV: a header, then one line per row', async () => {
    const res = await get('/v1/usage?from=2026-01&to=2026-12&group_by=provider,resource&format=csv')
    expect(res.headers['content-type']).toMatch(/text\/csv/)
    expect(res.text.trim().split('\r\n')).toEqual([
      'period,provider,resource,metric,unit,value,records,users,suppressed',
      '2026-01,prov-a,big-res,cpu_hours,h,60,6,6,false',
      '2026-01,prov-a,small-res,cpu_hours,h,2,2,2,false',
      '2026-02,prov-b,b-res,cpu_hours,h,10,5,5,false',
    ])
  })
})

describe('roles', () => {
  it('needs a token', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/usage', token: null })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('UNAUTHENTICATED')
    expect((await t.request({ method: 'GET', url: '/v1/usage', token: 'eam_forged' })).status).toBe(401)
  })

  it('shows a provider only its own providers, unsuppressed', async () => {
    const res = await get('/v1/usage?from=2026-01&to=2026-12&group_by=provider,resource', provA)
    expect(res.body.rows.map((r: any) => [r.provider, r.resource, r.value, r.users])).toEqual([['prov-a', 'big-res', 60, 6], ['prov-a', 'small-res', 2, 2]])
    const asked = await get('/v1/usage?from=2026-01&to=2026-12&provider=prov-a', provB)
    expect(asked.body.rows).toEqual([])
  })

  it('lets provider A write nothing for provider B', async () => {
    const res = await t.request({ method: 'POST', url: '/v1/usage-records', body: [usageRecord({ provider: 'prov-b', record_id: 'sneaky' })], token: provA })
    expect(res.body.accepted).toBe(0)
    expect(res.body.rejected[0].errors[0]).toMatch(/may not write provider 'prov-b'/)
    const b = await get('/v1/usage?from=2026-01&to=2026-12&granularity=total&provider=prov-b')
    expect(b.body.rows).toMatchObject([{ records: 5 }])
  })

  it('forbids writes and admin calls to funders', async () => {
    expect((await t.request({ method: 'POST', url: '/v1/usage-records', body: usageRecord(), token: funder })).status).toBe(403)
    expect((await t.request({ method: 'PUT', url: '/v1/metric-definitions/x', body: { unit: 'h', aggregation: 'sum' }, token: funder })).status).toBe(403)
    expect((await t.request({ method: 'POST', url: '/v1/admin/tokens', body: { name: 'x', role: 'admin' }, token: provA })).status).toBe(403)
  })

  it('never shows order references to funders', async () => {
    const res = await get('/v1/usage?group_by=order', funder)
    expect(res.status).toBe(403)
  })
})

describe('small-cell suppression for funders', () => {
  it('suppresses cells under 5 users, and a complementary cell so totals cannot give them back', async () => {
    const res = await get('/v1/usage?from=2026-01&to=2026-12&group_by=provider,resource', funder)
    expect(res.body.suppression_k).toBe(5)
    expect(res.body.rows).toEqual([
      // small-res has 2 users (primary); big-res is its only sibling under prov-a/2026-01, so it goes too.
      { period: '2026-01', provider: 'prov-a', resource: 'big-res', metric: 'cpu_hours', unit: 'h', value: null, records: null, users: null, suppressed: true },
      { period: '2026-01', provider: 'prov-a', resource: 'small-res', metric: 'cpu_hours', unit: 'h', value: null, records: null, users: null, suppressed: true },
      { period: '2026-02', provider: 'prov-b', resource: 'b-res', metric: 'cpu_hours', unit: 'h', value: 10, records: 5, users: 5, suppressed: false },
    ])
  })

  it('leaves cells with at least k users visible', async () => {
    const res = await get('/v1/usage?from=2026-01&to=2026-12&group_by=provider', funder)
    expect(res.body.rows.map((r: any) => [r.provider, r.value, r.suppressed])).toEqual([['prov-a', 62, false], ['prov-b', 10, false]])
  })
})

describe('level metrics', () => {
  it('combine over time by their aggregation per series, then add up across series', async () => {
    const snap = (metric: string, resource: string, day: number, value: number) =>
      usageRecord({ provider: 'prov-a', record_id: `${metric}-${resource}-${day}`, metric, resource, value, user: undefined, start: `2026-05-${String(day).padStart(2, '0')}T00:00:00Z`, end: `2026-05-${String(day + 1).padStart(2, '0')}T00:00:00Z` })
    const records = []
    for (const metric of ['storage_gb', 'storage_avg', 'storage_last']) {
      records.push(snap(metric, 'disk-1', 1, 100), snap(metric, 'disk-1', 2, 300), snap(metric, 'disk-1', 3, 200), snap(metric, 'disk-2', 1, 50), snap(metric, 'disk-2', 2, 70))
    }
    expect((await t.request({ method: 'POST', url: '/v1/usage-records', body: records, token: provA })).body.accepted).toBe(15)
    const res = await get('/v1/usage?from=2026-05&to=2026-05&metric=storage_gb,storage_avg,storage_last', provA)
    const byMetric = Object.fromEntries(res.body.rows.map((r: any) => [r.metric, r.value]))
    expect(byMetric).toEqual({ storage_gb: 300 + 70, storage_avg: 200 + 60, storage_last: 200 + 70 })
    const days = await get('/v1/usage?from=2026-05-01&to=2026-05-02&granularity=day&metric=storage_gb', provA)
    expect(days.body.rows.map((r: any) => [r.period, r.value, r.unit])).toEqual([['2026-05-01', 150, 'GB'], ['2026-05-02', 370, 'GB']])
  })
})

describe('changing metrics', () => {
  it('drops a level record from level reports when it is replaced under an additive metric', async () => {
    const rec = (metric: string, value: number) => usageRecord({ provider: 'prov-a', record_id: 'switch-1', resource: 'switch-res', metric, value, start: '2026-07-01T00:00:00Z', end: '2026-07-01T01:00:00Z' })
    await t.request({ method: 'POST', url: '/v1/usage-records', body: rec('storage_gb', 40), token: provA })
    await t.request({ method: 'POST', url: '/v1/usage-records', body: rec('cpu_hours', 3), token: provA })
    const res = await get('/v1/usage?from=2026-07&to=2026-07&resource=switch-res', provA)
    expect(res.body.rows.map((r: any) => [r.metric, r.value, r.records])).toEqual([['cpu_hours', 3, 1]])
  })

  it('reports earlier records by the new aggregation when a metric becomes a level', async () => {
    await t.metric('tape_tb', 'sum', 'TB')
    const snap = (day: number, value: number) => usageRecord({ provider: 'prov-a', record_id: `tape-${day}`, resource: 'tape-res', metric: 'tape_tb', value, start: `2026-08-0${day}T00:00:00Z`, end: `2026-08-0${day}T12:00:00Z` })
    await t.request({ method: 'POST', url: '/v1/usage-records', body: [snap(1, 5), snap(2, 8)], token: provA })
    expect((await get('/v1/usage?from=2026-08&to=2026-08&metric=tape_tb', provA)).body.rows).toMatchObject([{ value: 13 }])
    await t.metric('tape_tb', 'max', 'TB')
    expect((await get('/v1/usage?from=2026-08&to=2026-08&metric=tape_tb', provA)).body.rows).toMatchObject([{ value: 8, records: 2 }])
  })
})
