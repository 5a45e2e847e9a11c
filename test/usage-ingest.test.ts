import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ndjson, startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

let t: TestEngine
let egi: string

beforeAll(async () => {
  t = await startTestEngine()
  await t.metric('cpu_hours')
  egi = await t.token('provider', ['egi'])
})
afterAll(() => t.close())

/** Total value and records for one provider over 2026, from the API. */
async function total(provider: string, extra = '') {
  const res = await t.request({ method: 'GET', url: `/v1/usage?from=2026-01&to=2026-12&granularity=total&provider=${provider}${extra}` })
  expect(res.status).toBe(200)
  return { value: res.body.rows.reduce((s: number, r: any) => s + r.value, 0), records: res.body.rows.reduce((s: number, r: any) => s + r.records, 0) }
}

const post = (body: unknown, contentType?: string, token: string | null = egi) =>
  t.request({ method: 'POST', url: '/v1/usage-records', body, contentType, token })

describe('POST /v1/usage-records body forms', () => {
  it('takes one JSON object', async () => {
    const res = await post(usageRecord({ provider: 'egi', record_id: 'obj-1', value: 2 }))
    expect(res.status).toBe(202)
    expect(res.body).toEqual({ accepted: 1, rejected: [] })
  })

  it('takes a JSON array', async () => {
    const res = await post([usageRecord({ record_id: 'arr-1' }), usageRecord({ record_id: 'arr-2' })])
    expect(res.body).toEqual({ accepted: 2, rejected: [] })
  })

  it('takes NDJSON, blank lines ignored', async () => {
    const body = ndjson([usageRecord({ record_id: 'nd-1' }), usageRecord({ record_id: 'nd-2' })]) + '\n\n' + JSON.stringify(usageRecord({ record_id: 'nd-3' })) + '\n'
    const res = await post(body, 'application/x-ndjson')
    expect(res.body).toEqual({ accepted: 3, rejected: [] })
  })

  it('makes a 202 durable: records are queryable as soon as it returns', async () => {
    const res = await post([usageRecord({ provider: 'egi', record_id: 'dur-1', value: 7, resource: 'durable-res' })])
    expect(res.status).toBe(202)
    const report = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-01&resource=durable-res', token: egi })
    expect(report.body.rows).toMatchObject([{ period: '2026-01', metric: 'cpu_hours', value: 7, records: 1, users: 1 }])
  })
})

describe('bad input', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a missing field', { value: undefined }, /value/],
    ['a wrong type', { value: '12' }, /value/],
    ['a negative value', { value: -1 }, /value/],
    ['a huge value', { value: 1e300 }, /value/],
    ['start after end', { start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z' }, /start: must not be after end/],
    ['an impossible date', { start: '2026-02-30T00:00:00Z' }, /start: must be an RFC 3339/],
    ['a date without zone', { end: '2026-01-10 10:00:00' }, /end: must be an RFC 3339/],
    ['an unknown metric', { metric: 'gpu_years' }, /metric: 'gpu_years' is not a registered/],
    ['another provider', { provider: 'other-site' }, /provider: this token may not write provider 'other-site'/],
    ['an unknown field', { usr: 'x' }, /unknown field\(s\): usr/],
    ['an empty record id', { record_id: '' }, /record_id/],
    ['a control character', { resource: 'a\u0001b' }, /resource: must not contain control characters/],
    ['a bad order ref', { order: 'not-a-ref' }, /order: must be <instance>:<project_id>:<item_id>/],
  ]

  it.each(cases)('rejects %s by itself and keeps its valid neighbours', async (_name, over, message) => {
    const id = `bad-${Math.random().toString(36).slice(2)}`
    const bad = usageRecord({ record_id: `${id}-x`, resource: `res-${id}`, ...over })
    const res = await post([usageRecord({ record_id: `${id}-a`, resource: `res-${id}` }), bad, usageRecord({ record_id: `${id}-b`, resource: `res-${id}` })])
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(2)
    expect(res.body.rejected).toHaveLength(1)
    expect(res.body.rejected[0]).toMatchObject({ index: 1, record_id: bad.record_id })
    expect(res.body.rejected[0].errors.join('\n')).toMatch(message)
    const report = await t.request({ method: 'GET', url: `/v1/usage?from=2026-01&to=2026-12&granularity=total&resource=res-${id}`, token: egi })
    expect(report.body.rows).toMatchObject([{ records: 2, value: 2 }])
  })

  it('names every fault of a record at once, of its shape and of its context', async () => {
    const bad = usageRecord({ record_id: 'many-faults', value: -1, provider: 'other-site', start: '2026-01-02T00:00:00Z', end: '2026-01-01T00:00:00Z', metric: 'gpu_years' })
    const res = await post([bad])
    expect(res.status).toBe(202)
    expect(res.body.rejected).toHaveLength(1)
    const errors: string[] = res.body.rejected[0].errors
    for (const message of [/^value:/, /^start: must not be after end/, /^provider: this token may not write provider 'other-site'/, /^metric: 'gpu_years' is not a registered/]) {
      expect(errors.some((e) => message.test(e))).toBe(true)
    }
  })

  it('rejects NaN and Infinity spelled in JSON lines', async () => {
    const body = ['{"record_id":"nan-1","provider":"egi","resource":"r","metric":"cpu_hours","value":NaN,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z"}',
      JSON.stringify(usageRecord({ record_id: 'nan-2', value: 'NaN' })),
      '{"record_id":"inf-1","provider":"egi","resource":"r","metric":"cpu_hours","value":1e400,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00Z"}',
      JSON.stringify(usageRecord({ record_id: 'nan-ok' }))].join('\n')
    const res = await post(body, 'application/x-ndjson')
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(1)
    expect(res.body.rejected.map((r: any) => r.index)).toEqual([0, 1, 2])
    expect(res.body.rejected[0].errors[0]).toMatch(/line is not JSON/)
  })

  it('stores SQL-looking strings verbatim and harms nothing', async () => {
    const evil = "x'); DROP TABLE usage_records; --"
    const res = await post([usageRecord({ record_id: evil, resource: 'sql-res', group: "'; SELECT 1 --" })])
    expect(res.body.accepted).toBe(1)
    const report = await t.request({ method: 'GET', url: `/v1/usage?from=2026-01&to=2026-12&granularity=total&resource=sql-res&group_by=group`, token: egi })
    expect(report.body.rows).toMatchObject([{ group: "'; SELECT 1 --", records: 1 }])
  })

  it('stores backslashes, quotes and non-ASCII verbatim, also through a replacement', async () => {
    const odd = { record_id: 'C:\\jobs\\t1 "quoted"', resource: 'odd-res', group: 'vo\\n-é-😀' }
    await post([usageRecord({ ...odd, value: 2 })])
    await post([usageRecord({ ...odd, value: 5 })])
    const report = await t.request({ method: 'GET', url: `/v1/usage?from=2026-01&to=2026-12&granularity=total&resource=odd-res&group_by=group`, token: egi })
    expect(report.body.rows).toMatchObject([{ group: 'vo\\n-é-😀', value: 5, records: 1 }])
  })

  it.each([
    ['not JSON at all', 'hello world', 'application/json', 400, 'INVALID_JSON'],
    ['a JSON scalar', '42', 'application/json', 400, 'INVALID_BODY'],
    ['NDJSON with no valid line', 'a\nb\n', 'application/x-ndjson', 400, 'INVALID_JSON'],
    ['an empty body', '', 'application/json', 400, 'EMPTY_BODY'],
    ['an unsupported content type', 'a,b', 'text/csv', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('refuses %s with a 4xx', async (_name, body, type, status, code) => {
    const res = await post(body, type)
    expect(res.status).toBe(status)
    expect(res.body.error.code).toBe(code)
  })

  it('refuses broken UTF-8 with 400', async () => {
    const body = Buffer.concat([Buffer.from('{"record_id":"utf","provider":"egi","resource":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","metric":"cpu_hours","value":1,"start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z"}')])
    const res = await post(body)
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('INVALID_ENCODING')
  })

  it('refuses more than 10,000 records with 413', async () => {
    const res = await post(Array.from({ length: 10_001 }, (_, i) => usageRecord({ record_id: `many-${i}` })))
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('TOO_MANY_RECORDS')
  })

  it('refuses a body over 10 MiB with 413', async () => {
    const res = await post('[' + ' '.repeat(10 * 1024 * 1024) + ']')
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('keeps 10,000 records in one request', async () => {
    const res = await post(ndjson(Array.from({ length: 10_000 }, (_, i) => usageRecord({ provider: 'egi', record_id: `big-${i}`, resource: 'big-res', value: 0.5 }))), 'application/x-ndjson')
    expect(res.body).toEqual({ accepted: 10_000, rejected: [] })
    const report = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&granularity=total&resource=big-res', token: egi })
    expect(report.body.rows).toMatchObject([{ records: 10_000, value: 5000 }])
  })
})

describe('idempotency', () => {
  it('replaces a re-sent (provider, record_id): totals never double, on every read path', async () => {
    const recs = [usageRecord({ provider: 'egi', record_id: 'idem-1', resource: 'idem-res', value: 3 }), usageRecord({ provider: 'egi', record_id: 'idem-2', resource: 'idem-res', value: 4 })]
    await post(recs)
    await post(recs)
    // The same record corrected: a new value and a new user.
    await post([usageRecord({ provider: 'egi', record_id: 'idem-1', resource: 'idem-res', value: 10, user: 'bob@egi.eu' })])
    for (const q of ['from=2026-01&to=2026-12&granularity=total', 'from=2026-01&to=2026-01&granularity=month', 'from=2026-01-01&to=2026-01-31&granularity=total', 'from=2026-01-01&to=2026-01-31&granularity=day']) {
      const res = await t.request({ method: 'GET', url: `/v1/usage?${q}&resource=idem-res`, token: egi })
      const value = res.body.rows.reduce((s: number, r: any) => s + r.value, 0)
      const records = res.body.rows.reduce((s: number, r: any) => s + r.records, 0)
      expect({ q, value, records }).toEqual({ q, value: 14, records: 2 })
      if (!q.includes('day')) expect(res.body.rows[0].users).toBe(2)
    }
  })

  it('forgets a user whose only record is corrected to another user, in every distinct-user count', async () => {
    await post([usageRecord({ record_id: 'who-1', resource: 'who-res', user: 'carol@egi.eu' })])
    await post([usageRecord({ record_id: 'who-1', resource: 'who-res', user: 'dave@egi.eu' })])
    for (const q of ['granularity=month&from=2026-01&to=2026-01', 'granularity=year&from=2026-01&to=2026-12', 'granularity=day&from=2026-01-10&to=2026-01-10']) {
      const res = await t.request({ method: 'GET', url: `/v1/usage?${q}&resource=who-res&group_by=resource`, token: egi })
      expect({ q, rows: res.body.rows.map((r: any) => [r.records, r.users]) }).toEqual({ q, rows: [[1, 1]] })
    }
  })

  it('stays exact when concurrent requests replace the same records', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(Array.from({ length: 50 }, (_, j) => usageRecord({ record_id: `race-${j}`, resource: 'race-res', value: i + 1, user: `u${i}@egi.eu` })))),
    )
    expect(results.every((r) => r.status === 202)).toBe(true)
    const reads = await Promise.all(
      ['granularity=month&from=2026-01&to=2026-01', 'granularity=day&from=2026-01-10&to=2026-01-10'].map((q) =>
        t.request({ method: 'GET', url: `/v1/usage?${q}&resource=race-res`, token: egi }),
      ),
    )
    for (const r of reads) {
      expect(r.body.rows).toHaveLength(1)
      const row = r.body.rows[0]
      expect(row.records).toBe(50)
      // One version per request: the request with the highest version wins all 50 keys, so the
      // total is 50 × its value and its user is the only one left.
      expect(row.value % 50).toBe(0)
      expect(row.value).toBeGreaterThanOrEqual(50)
      expect(row.value).toBeLessThanOrEqual(1000)
      expect(row.users).toBe(1)
    }
    expect(reads[0]!.body.rows[0].value).toBe(reads[1]!.body.rows[0].value)
    expect(reads[0]!.body.rows[0].users).toBe(reads[1]!.body.rows[0].users)
  })

  it('keeps the same record in one request once, the last one winning', async () => {
    await post([usageRecord({ record_id: 'twice', resource: 'twice-res', value: 1 }), usageRecord({ record_id: 'twice', resource: 'twice-res', value: 5 })])
    const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&granularity=total&resource=twice-res', token: egi })
    expect(res.body.rows).toMatchObject([{ value: 5, records: 1 }])
  })

  it('moves a corrected record between months without leaving a trace in the old one', async () => {
    await post([usageRecord({ record_id: 'move-1', resource: 'move-res', value: 2, start: '2026-03-01T00:00:00Z', end: '2026-03-01T01:00:00Z' })])
    await post([usageRecord({ record_id: 'move-1', resource: 'move-res', value: 2, start: '2026-04-01T00:00:00Z', end: '2026-04-01T01:00:00Z' })])
    const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&resource=move-res', token: egi })
    expect(res.body.rows).toMatchObject([{ period: '2026-04', value: 2, records: 1, users: 1 }])
  })
})

describe('group commit', () => {
  it('groups 20 concurrent requests into fewer inserts, answering each after its rows are written', async () => {
    const batchesBefore = await insertBatches()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(Array.from({ length: 50 }, (_, j) => usageRecord({ record_id: `gc-${i}-${j}`, resource: 'gc-res' })))),
    )
    expect(results.every((r) => r.status === 202 && r.body.accepted === 50)).toBe(true)
    const batches = (await insertBatches()) - batchesBefore
    expect(batches).toBeGreaterThan(0)
    expect(batches).toBeLessThan(20)
    const report = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&granularity=total&resource=gc-res', token: egi })
    expect(report.body.rows).toMatchObject([{ records: 1000, value: 1000 }])
  })
})

async function insertBatches(): Promise<number> {
  const res = await t.request({ method: 'GET', url: '/metrics', token: null })
  const m = /eosc_am_insert_batch_rows_count\{table="usage_landing"\} (\d+)/.exec(res.text)
  return Number(m?.[1] ?? 0)
}
