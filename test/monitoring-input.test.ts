import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, type TestEngine } from './support/test-engine.js'
import { CE, postResults, REPORT, result, setUp, TOPOLOGY } from './monitoring-support.js'

/** Bad input of every shape gets a clear 4xx (or a per-record rejection) and changes nothing else. */
let t: TestEngine
const D = '2026-05-05'

beforeAll(async () => {
  t = await startTestEngine({ env: { EOSC_AM_PROBER_ENABLED: 'false' } })
  await setUp(t)
})
afterAll(() => t.close())

const ok = (over: Record<string, unknown> = {}) => ({ ...result(`${D}T10:00:00Z`, 'ce1.a.example.org', 'compute', CE, 'OK'), ...over })
const count = async (where: string) => {
  const [row] = await t.engine.store.query(`SELECT count() AS n FROM probe_results FINAL WHERE ${where}`, {}, z.object({ n: z.coerce.number() }))
  return row?.n
}

describe('probe results, per record', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown status', { status: 'DOWN' }, /status: must be one of OK, WARNING, CRITICAL, UNKNOWN \(any case\)/],
    ['a status of the wrong type', { status: 2 }, /status/],
    ['a missing hostname', { hostname: undefined }, /hostname/],
    ['an impossible date', { timestamp: '2026-02-30T10:00:00Z' }, /timestamp: must be an RFC 3339 timestamp/],
    ['a timestamp without zone', { timestamp: '2026-05-05 10:00:00' }, /timestamp: must be an RFC 3339 timestamp/],
    ['a timestamp in the future', { timestamp: '2099-01-01T00:00:00Z' }, /timestamp: is more than 10 minutes in the future/],
    ['an unknown field', { stauts: 'OK' }, /unknown field\(s\): stauts/],
    ['a control character', { metric: 'a\u0000b' }, /metric: must not contain control characters/],
    ['an overlong metric', { metric: 'm'.repeat(300) }, /metric/],
    ['an empty service', { service: '' }, /service/],
  ]

  it.each(cases)('rejects %s and keeps its neighbours', async (_name, over, message) => {
    const id = Math.random().toString(36).slice(2)
    const good = (i: number) => ok({ monitoring_host: `mon-${id}`, timestamp: `${D}T0${i}:00:00Z` })
    const res = await postResults(t, [good(1), ok({ monitoring_host: `mon-${id}`, ...over }), good(2)])
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(2)
    expect(res.body.rejected).toHaveLength(1)
    expect(res.body.rejected[0].index).toBe(1)
    expect(res.body.rejected[0].errors.join('\n')).toMatch(message)
    expect(await count(`monitoring_host = 'mon-${id}'`)).toBe(2)
  })

  it('takes statuses in any case and NDJSON lines that are not JSON as per-record errors', async () => {
    const body = [JSON.stringify(ok({ status: 'critical', monitoring_host: 'case' })), '{"timestamp": NaN}', JSON.stringify(ok({ status: 'Warning', monitoring_host: 'case', timestamp: `${D}T11:00:00Z` }))].join('\n')
    const res = await t.request({ method: 'POST', url: '/v1/probe-results', body, contentType: 'application/x-ndjson' })
    expect(res.body.accepted).toBe(2)
    expect(res.body.rejected).toEqual([{ index: 1, errors: [expect.stringMatching(/^line is not JSON/)] }])
  })

  it('stores a re-sent result once', async () => {
    const batch = [ok({ monitoring_host: 'again' }), ok({ monitoring_host: 'again', timestamp: `${D}T12:00:00Z`, status: 'CRITICAL' })]
    await postResults(t, batch)
    await postResults(t, batch)
    expect(await count(`monitoring_host = 'again'`)).toBe(2)
  })

  it('stores SQL-looking strings verbatim', async () => {
    const evil = "x'); DROP TABLE probe_results; --"
    const res = await postResults(t, [ok({ monitoring_host: 'sql', message: evil, summary: evil })])
    expect(res.body.accepted).toBe(1)
    const [row] = await t.engine.store.query(`SELECT message FROM probe_results WHERE monitoring_host = 'sql'`, {}, z.object({ message: z.string() }))
    expect(row?.message).toBe(evil)
  })

  it.each([
    ['not JSON at all', 'hello world', 'application/json', 400, 'INVALID_JSON'],
    ['a JSON scalar', '42', 'application/json', 400, 'INVALID_BODY'],
    ['an empty body', '', 'application/json', 400, 'EMPTY_BODY'],
    ['an unsupported content type', 'a,b', 'text/csv', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses %s with a 4xx', async (_name, body, type, status, code) => {
    const res = await t.request({ method: 'POST', url: '/v1/probe-results', body, contentType: type })
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  })

  it('refuses broken UTF-8 and more than 10,000 results', async () => {
    const broken = Buffer.concat([Buffer.from('{"hostname":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
    expect((await t.request({ method: 'POST', url: '/v1/probe-results', body: broken })).status).toBe(400)
    const many = await postResults(t, Array.from({ length: 10_001 }, () => ok()))
    expect(many.status).toBe(413)
  })
})

describe('unknown endpoints', () => {
  it('are stored and reported once per endpoint, and count once the topology lists them', async () => {
    const ghost = (ts: string, status = 'OK') => result(ts, 'ghost.example.org', 'compute', CE, status)
    const res = await postResults(t, [ok(), ghost(`${D}T00:00:00Z`), ghost(`${D}T06:00:00Z`, 'CRITICAL')])
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(3)
    expect(res.body.warnings).toEqual([
      { code: 'UNKNOWN_ENDPOINT', hostname: 'ghost.example.org', service: 'compute', count: 2, first_index: 1, message: expect.stringContaining('stored') },
    ])
    expect((await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&level=endpoint&group=SITE-B` })).body.rows).toHaveLength(1)
    // The topology learns about it (a new group, applying from before the results): it now counts.
    const topology = { ...TOPOLOGY, groups: [...TOPOLOGY.groups, { group: 'SITE-G', type: 'SITES', provider: 'prov-g', endpoints: [{ hostname: 'ghost.example.org', service: 'compute' }] }] }
    expect((await t.request({ method: 'PUT', url: '/v1/topology', body: topology })).status).toBe(200)
    const rows = (await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&group=SITE-G` })).body.rows
    // OK 00–06, CRITICAL from 06 to midnight.
    expect(rows).toEqual([expect.objectContaining({ group: 'SITE-G', availability: 25 })])
  })
})

describe('downtimes, per record', () => {
  const dt = (over: Record<string, unknown>) => ({ downtime_id: `d-${Math.random()}`, group: 'SITE-A', start: `${D}T10:00:00Z`, end: `${D}T11:00:00Z`, ...over })
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['both group and endpoint', { hostname: 'ce1.a.example.org', service: 'compute' }, /group: give either group or hostname and service, not both/],
    ['neither group nor endpoint', { group: undefined }, /hostname: give hostname and service, or group/],
    ['a hostname without service', { group: undefined, hostname: 'ce1.a.example.org' }, /service: give hostname and service/],
    ['start after end', { start: `${D}T12:00:00Z` }, /start: must not be after end/],
    ['a bad date', { end: '2026-13-01T00:00:00Z' }, /end: must be an RFC 3339/],
    ['a year and more', { end: '2027-06-01T00:00:00Z' }, /end: a downtime may last at most 366 days/],
    ['an unknown field', { severity: 'OUTAGE' }, /unknown field\(s\): severity/],
  ]
  it.each(cases)('rejects %s', async (_name, over, message) => {
    const res = await t.request({ method: 'POST', url: '/v1/downtimes', body: [dt({}), dt(over)] })
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(1)
    expect(res.body.rejected[0].errors.join('\n')).toMatch(message)
  })
})

describe('configuration and reads', () => {
  it('refuses a topology with a duplicate group or a bad URL', async () => {
    const dup = await t.request({ method: 'PUT', url: '/v1/topology', body: { groups: [TOPOLOGY.groups[0], TOPOLOGY.groups[0]] } })
    expect(dup.status).toBe(400)
    expect(dup.body.error.code).toBe('VALIDATION_FAILED')
    const url = await t.request({ method: 'PUT', url: '/v1/topology', body: { groups: [{ group: 'G', type: 'T', provider: 'p', endpoints: [{ hostname: 'h', service: 's', url: 'ftp://h' }] }] } })
    expect(url.status).toBe(400)
    expect(url.text).toMatch(/http\(s\):\/\/ URL or tcp:\/\/host:port/)
  })

  it('refuses report definitions that do not add up', async () => {
    const badOp = { ...REPORT, aggregation_profile: { ...REPORT.aggregation_profile, metric_operation: 'XOR' } }
    expect((await t.request({ method: 'PUT', url: '/v1/sla-reports/bad', body: badOp })).status).toBe(400)
    const noMetrics = { ...REPORT, metric_profile: { compute: ['x'] } }
    const res = await t.request({ method: 'PUT', url: '/v1/sla-reports/bad', body: noMetrics })
    expect(res.status).toBe(400)
    expect(res.text).toMatch(/service storage has no metrics in metric_profile/)
    expect((await t.request({ method: 'PUT', url: '/v1/sla-reports/bad name', body: REPORT })).status).toBe(400)
    expect((await t.request({ method: 'GET', url: '/v1/sla-reports/bad' })).status).toBe(404)
  })

  it('applies report defaults', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/sla-reports/core' })
    expect(res.body.thresholds).toEqual({ availability: 80, reliability: 85, uptime: 80, unknown: 10, downtime: 10 })
    expect(res.body.operations_profile.name).toBe('egi_ops')
  })

  it('refuses bad recomputations', async () => {
    const post = (body: unknown) => t.request({ method: 'POST', url: '/v1/sla-reports/core/recomputations', body })
    const base = { kind: 'exclude_group', group: 'SITE-A', start: `${D}T10:00:00Z`, end: `${D}T11:00:00Z`, reason: 'outage' }
    expect((await post({ ...base, end: `${D}T09:00:00Z` })).status).toBe(400)
    expect((await post({ ...base, reason: ' ' })).status).toBe(400)
    expect((await post({ ...base, kind: 'exclude_everything' })).status).toBe(400)
    expect((await post({ ...base, start: 'yesterday' })).status).toBe(400)
    expect((await t.request({ method: 'POST', url: '/v1/sla-reports/nope/recomputations', body: base })).status).toBe(404)
  })

  it('refuses bad read parameters with 4xx', async () => {
    const get = (q: string) => t.request({ method: 'GET', url: `/v1/availability/core?${q}` })
    expect((await get(`from=${D}&to=2026-05-01`)).body.error.code).toBe('INVALID_RANGE')
    expect((await get('from=2026-02-30&to=2026-03-01')).status).toBe(400)
    expect((await get(`from=${D}`)).status).toBe(400)
    expect((await get(`from=${D}&to=${D}&granularity=year`)).status).toBe(400)
    expect((await get('from=2020-01-01&to=2026-01-01')).body.error.code).toBe('RANGE_TOO_LONG')
    expect((await t.request({ method: 'GET', url: `/v1/availability/nope?from=${D}&to=${D}` })).status).toBe(404)
    expect((await t.request({ method: 'GET', url: '/v1/reports/availability/core/2026-13' })).status).toBe(400)
    expect((await t.request({ method: 'GET', url: `/api/v2/results/core/SITES?start_time=yesterday` })).status).toBe(400)
  })
})
