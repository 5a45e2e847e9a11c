import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CE, postResults, result, setUp, SRM } from './monitoring-support.js'
import { startClickHouseFront, type ClickHouseFront } from './support/clickhouse-http/clickhouse-front.js'
import { ndjson, startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

/**
 * Server mode: two API instances, each with its own data folder (tokens are shared through the
 * server, the pseudonym key through the environment), writing into one ClickHouse server: what a
 * federation runs once it outgrows one machine (DESIGN §2). The server is the test front over the
 * embedded engine (support/clickhouse-http), reached over HTTP with @clickhouse/client.
 */
const USER = 'eosc'
const PASSWORD = 'chserver-secret-1f6d'
const RAW_USER = (i: number) => `server-subject-${i}@egi.eu`
const KEY = 'ab'.repeat(32)

let front: ClickHouseFront
let serverPath: string
let a: TestEngine
let b: TestEngine

const serverEnv = (password = PASSWORD) => ({
  EOSC_AM_CLICKHOUSE_URL: front.url,
  EOSC_AM_CLICKHOUSE_USER: USER,
  EOSC_AM_CLICKHOUSE_PASSWORD: password,
  EOSC_AM_PSEUDONYM_KEY: KEY,
  EOSC_AM_PROBER_ENABLED: 'false',
})

beforeAll(async () => {
  serverPath = join(mkdtempSync(join(tmpdir(), 'eosc-am-chserver-')), 'clickhouse')
  front = await startClickHouseFront({ path: serverPath, user: USER, password: PASSWORD })
  // Both apply the migrations: the second finds them applied.
  a = await startTestEngine({ env: serverEnv() })
  b = await startTestEngine({ env: serverEnv() })
  await a.metric('cpu_hours')
  await a.metric('storage_gb', 'max', 'GB')
}, 60_000)

afterAll(async () => {
  await a?.close()
  await b?.close()
  await front?.stop()
})

const total = async (t: TestEngine, query = '') => {
  const res = await t.request({ method: 'GET', url: `/v1/usage?from=2026-01&to=2026-12&granularity=total${query}` })
  expect(res.status).toBe(200)
  return res.body.rows.map((r: any) => [r.metric, r.value, r.records, r.users])
}

describe('against a ClickHouse server (EOSC_AM_CLICKHOUSE_URL)', () => {
  it('stores what either instance acknowledges, and replaces a re-sent record whichever instance receives it', async () => {
    const records = (value: number) => Array.from({ length: 40 }, (_, i) => usageRecord({ record_id: `s-${i}`, provider: `prov-${i % 2}`, user: RAW_USER(i % 8), value }))
    const first = await a.request({ method: 'POST', url: '/v1/usage-records', body: ndjson(records(1)), contentType: 'application/x-ndjson' })
    expect(first.body).toEqual({ accepted: 40, rejected: [] })
    expect(await total(b, '&metric=cpu_hours')).toEqual([['cpu_hours', 40, 40, 8]])
    // The client retries through the other instance, with corrected values, and one bad record.
    const resent = await b.request({ method: 'POST', url: '/v1/usage-records', body: [...records(3), usageRecord({ record_id: 'bad', metric: 'gpu_hours' })] })
    expect(resent.status).toBe(202)
    expect(resent.body.accepted).toBe(40)
    expect(resent.body.rejected).toEqual([{ index: 40, record_id: 'bad', errors: [expect.stringMatching(/^metric: 'gpu_hours' is not a registered/)] }])
    expect(await total(a, '&metric=cpu_hours')).toEqual([['cpu_hours', 120, 40, 8]])
    // And once more through the first, one record alone: still replaced, never added.
    await a.request({ method: 'POST', url: '/v1/usage-records', body: usageRecord({ record_id: 's-0', provider: 'prov-0', user: RAW_USER(0), value: 13 }) })
    expect(await total(b, '&metric=cpu_hours')).toEqual([['cpu_hours', 130, 40, 8]])
    expect(front.served.inserts).toBeGreaterThan(0)
  })

  it('replaces within a full request of 10,000 records (its lookup binds every id: more than a URL holds)', async () => {
    const body = (value: number) => ndjson(Array.from({ length: 10_000 }, (_, i) => usageRecord({ record_id: `big-${i}-${'x'.repeat(40)}`, provider: 'prov-big', user: RAW_USER(i % 5), value })))
    const forms = front.served.forms
    expect((await a.request({ method: 'POST', url: '/v1/usage-records', body: body(1), contentType: 'application/x-ndjson' })).body.accepted).toBe(10_000)
    expect((await b.request({ method: 'POST', url: '/v1/usage-records', body: body(2), contentType: 'application/x-ndjson' })).body.accepted).toBe(10_000)
    expect(await total(a, '&provider=prov-big')).toEqual([['cpu_hours', 20_000, 10_000, 5]])
    expect(front.served.forms).toBeGreaterThan(forms)
  })

  it('combines a level metric by its aggregation', async () => {
    const level = (id: string, value: number) => usageRecord({ record_id: id, metric: 'storage_gb', value, user: undefined, provider: 'prov-s' })
    await a.request({ method: 'POST', url: '/v1/usage-records', body: [level('l-1', 50), level('l-2', 80)] })
    await b.request({ method: 'POST', url: '/v1/usage-records', body: [level('l-3', 65)] })
    expect(await total(a, '&metric=storage_gb')).toEqual([['storage_gb', 80, 3, 0]])
  })

  it("changes a metric's aggregation on every instance: reports and later records follow within seconds", async () => {
    await a.metric('mem_gb', 'sum', 'GB')
    const rec = (id: string, value: number) => usageRecord({ record_id: id, metric: 'mem_gb', provider: 'prov-mem', value, user: undefined })
    await b.request({ method: 'POST', url: '/v1/usage-records', body: [rec('m-1', 3), rec('m-2', 5)] })
    expect(await total(b, '&metric=mem_gb')).toEqual([['mem_gb', 8, 2, 0]])
    await a.metric('mem_gb', 'max', 'GB')
    const deadline = Date.now() + 20_000
    while ((await total(b, '&metric=mem_gb'))[0][1] !== 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    expect(await total(b, '&metric=mem_gb')).toEqual([['mem_gb', 5, 2, 0]])
    await b.request({ method: 'POST', url: '/v1/usage-records', body: [rec('m-3', 9)] })
    for (const t of [a, b]) expect(await total(t, '&metric=mem_gb')).toEqual([['mem_gb', 9, 3, 0]])
  }, 30_000)

  it('stores a record naming an alias registered a moment before through the other instance under the PID', async () => {
    const rec = (id: string, resource: string) => usageRecord({ record_id: id, provider: 'prov-alias', resource, user: RAW_USER(1) })
    await b.request({ method: 'POST', url: '/v1/usage-records', body: rec('al-1', 'Legacy Cloud') })
    const put = await a.request({ method: 'PUT', url: '/v1/resources/21.11170/newpid/aliases', body: { aliases: ['Legacy Cloud'] } })
    expect(put.body.moved_usage_records).toBe(1)
    await b.request({ method: 'POST', url: '/v1/usage-records', body: rec('al-2', 'Legacy Cloud') })
    const res = await a.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&granularity=total&group_by=resource&provider=prov-alias' })
    expect(res.body.rows.map((r: any) => [r.resource, r.records])).toEqual([['21.11170/newpid', 2]])
  })

  it('reports per provider with small cells suppressed for funders, and a provider its own unsuppressed, as JSON and CSV', async () => {
    const push = (provider: string, users: number) =>
      a.request({ method: 'POST', url: '/v1/usage-records', body: Array.from({ length: users }, (_, i) => usageRecord({ record_id: `${provider}-${i}`, provider, user: RAW_USER(100 + i), value: 2 })) })
    await push('prov-few', 3)
    await push('prov-many', 6)
    const funder = await b.token('funder')
    const query = '/v1/usage?from=2026-01&to=2026-12&group_by=provider&metric=cpu_hours'
    const res = await a.request({ method: 'GET', url: query, token: funder })
    expect(res.body.rows.map((r: any) => [r.provider, r.value, r.records, r.users, r.suppressed])).toEqual([
      ['prov-0', null, null, null, true],
      ['prov-1', null, null, null, true],
      ['prov-alias', null, null, null, true],
      ['prov-big', 20_000, 10_000, 5, false],
      ['prov-few', null, null, null, true],
      ['prov-many', 12, 6, 6, false],
    ])
    const own = await b.request({ method: 'GET', url: query, token: await a.token('provider', ['prov-few']) })
    expect(own.body.rows.map((r: any) => [r.provider, r.value, r.users, r.suppressed])).toEqual([['prov-few', 6, 3, false]])
    const csv = await b.request({ method: 'GET', url: `${query}&format=csv`, token: funder })
    expect(csv.text.trim().split(/\r?\n/)).toEqual([
      'period,provider,metric,unit,value,records,users,suppressed',
      '2026-01,prov-0,cpu_hours,h,,,,true',
      '2026-01,prov-1,cpu_hours,h,,,,true',
      '2026-01,prov-alias,cpu_hours,h,,,,true',
      '2026-01,prov-big,cpu_hours,h,20000,10000,5,false',
      '2026-01,prov-few,cpu_hours,h,,,,true',
      '2026-01,prov-many,cpu_hours,h,12,6,6,false',
    ])
  })

  it('computes A/R from a topology and report defined on one instance, results and a downtime pushed to the other', async () => {
    const D = '2026-03-10'
    await setUp(a)
    // At once, not after the other instance's next periodic check: as in monitoring-e2e, SITE-A =
    // compute (ce1 OR ce2, up all day) AND storage (se1: 1 h critical, 1 h downtime).
    const pushed = await postResults(b, [
      result(`${D}T00:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'OK'),
      result(`${D}T06:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'CRITICAL'),
      result(`${D}T00:00:00Z`, 'ce2.a.example.org', 'compute', CE, 'OK'),
      result(`${D}T00:00:00Z`, 'se1.a.example.org', 'storage', SRM, 'OK'),
      result(`${D}T18:00:00Z`, 'se1.a.example.org', 'storage', SRM, 'CRITICAL'),
      result(`${D}T20:00:00Z`, 'se1.a.example.org', 'storage', SRM, 'OK'),
    ])
    expect(pushed.body).toEqual({ accepted: 6, rejected: [], warnings: [] })
    const dt = { downtime_id: 'dt-s', hostname: 'se1.a.example.org', service: 'storage', start: `${D}T18:00:00Z`, end: `${D}T18:59:00Z`, reason: 'disk swap' }
    const provider = await a.token('provider', ['prov-a'])
    expect((await b.request({ method: 'POST', url: '/v1/downtimes', body: dt, token: provider })).body).toEqual({ accepted: 1, rejected: [] })
    const day = { group: 'SITE-A', period: D, availability: 91.66667, reliability: 95.65217, uptime: 0.91667, unknown: 0, downtime: 0.04167, excluded: 0, days: 1, computed_days: 1 }
    const read = async (t: TestEngine) => (await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&group=SITE-A` })).body.rows
    for (const t of [a, b]) expect(await read(t)).toEqual([day])

    // An SLA manager excludes 18–20 h (then UNKNOWN) through one instance; a late result reaches the
    // other, which recomputes the day: with the exclusion, never with what it knew before.
    const excluded = { kind: 'exclude_group', group: 'SITE-A', start: `${D}T18:00:00Z`, end: `${D}T20:00:00Z`, reason: 'storage network outage, not the site' }
    expect((await a.request({ method: 'POST', url: '/v1/sla-reports/core/recomputations', body: excluded })).status).toBe(201)
    const [withExclusion] = await read(a)
    expect(withExclusion).toMatchObject({ unknown: 0.08333 })
    expect((await postResults(b, [result(`${D}T23:00:00Z`, 'ce2.a.example.org', 'compute', CE, 'OK')])).body.accepted).toBe(1)
    for (const t of [b, a]) expect(await read(t)).toEqual([withExclusion])
  })

  it('erases a user everywhere on the server, whichever instance is asked', async () => {
    const before = await total(a, '&metric=cpu_hours')
    const res = await b.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: RAW_USER(100) } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ usage: 'deleted', usage_records: 2 })
    expect(await total(a, '&metric=cpu_hours')).toEqual([['cpu_hours', before[0][1] - 4, before[0][2] - 2, before[0][3] - 1]])
  })

  it("keeps the raw user id out of the server's files", async () => {
    const files = filesUnder(serverPath)
    const holding = (needle: string) => files.filter((f) => readFileSync(f).includes(Buffer.from(needle)))
    expect(holding('prov-many').length).toBeGreaterThan(0)
    for (const i of [0, 1, 7, 101]) expect(holding(RAW_USER(i))).toEqual([])
  })

  it('starts again on the same server with everything in place', async () => {
    const before = await total(b)
    await a.close()
    a = await startTestEngine({ env: serverEnv() })
    expect(await total(a)).toEqual(before)
  })

  it('answers 503 with Retry-After while the server is away, storing nothing half, and takes the retry once it is back', async () => {
    const batch = Array.from({ length: 10 }, (_, i) => usageRecord({ record_id: `away-${i}`, provider: 'prov-away', user: RAW_USER(i) }))
    await front.down()
    try {
      const res = await a.request({ method: 'POST', url: '/v1/usage-records', body: batch })
      expect(res.status).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.body.error.code).toBe('STORE_UNAVAILABLE')
      expect((await a.request({ method: 'GET', url: '/readyz', token: null })).status).toBe(503)
      // The client's own report goes to the engine's log, not the console.
      expect(a.logs.join('')).toContain('"component":"clickhouse-client"')
    } finally {
      await front.up()
    }
    const retried = await a.request({ method: 'POST', url: '/v1/usage-records', body: batch })
    expect(retried.body).toEqual({ accepted: 10, rejected: [] })
    expect(await total(b, '&provider=prov-away')).toEqual([['cpu_hours', 10, 10, 10]])
  })

  it('refuses to start, naming the cause, when the server refuses its credentials', async () => {
    await expect(startTestEngine({ env: serverEnv('wrong-password') })).rejects.toThrow(/Authentication failed/)
  })
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}
