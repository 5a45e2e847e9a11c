import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

const ERASED = 'erase-me-4b1f@aai.example.org'
const KEPT = 'keep-me-9c2e@aai.example.org'

let t: TestEngine
let pseudonym: string

const count = async (sql: string, p: string) => {
  await t.engine.settleUsage()
  return (await t.engine.store.query(sql, { p }, z.object({ n: z.coerce.number() })))[0]!.n
}

/** Total value, records and distinct users per month for the erasure test's resource. */
async function months() {
  const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-02&granularity=month&resource=er-res&metric=cpu_hours' })
  expect(res.status).toBe(200)
  return res.body.rows.map((r: any) => [r.period, r.value, r.records, r.users])
}

beforeAll(async () => {
  t = await startTestEngine()
  await t.metric('cpu_hours')
  await t.metric('disk_gb', 'max', 'GB')
  const res = await t.request({
    method: 'POST',
    url: '/v1/usage-records',
    body: [
      usageRecord({ record_id: 'er-1', resource: 'er-res', user: ERASED, value: 2 }),
      // The same record sent again (replaced): its older version carries the pseudonym too.
      usageRecord({ record_id: 'er-2', resource: 'er-res', user: ERASED, value: 3, start: '2026-02-03T00:00:00Z', end: '2026-02-03T01:00:00Z' }),
      usageRecord({ record_id: 'er-3', resource: 'er-res', user: KEPT, value: 5 }),
      usageRecord({ record_id: 'er-4', resource: 'er-res', metric: 'disk_gb', user: ERASED, value: 7 }),
    ],
  })
  expect(res.body.accepted).toBe(4)
  await t.request({ method: 'POST', url: '/v1/usage-records', body: usageRecord({ record_id: 'er-2', resource: 'er-res', user: ERASED, value: 4, start: '2026-02-03T00:00:00Z', end: '2026-02-03T01:00:00Z' }) })
  const project = { id: 9900, owner: { uid: ERASED, email: 'x@example.org', name: 'X' }, attributes: { name: 'P', customer_typology: 'project' } }
  const order = await t.request({
    method: 'PUT',
    url: '/v1/orders/eosc:9900:1',
    body: { id: 1, project_id: 9900, status: { type: 'ready' }, attributes: { service: 'S', offer: 'O' }, project, observed_at: '2026-01-05T00:00:00Z' },
  })
  expect(order.body.owner_known).toBe(true)
  await t.engine.settleUsage()
  pseudonym = (await t.engine.store.query("SELECT any(user_id) AS u FROM usage_records WHERE record_id = 'er-1'", {}, z.object({ u: z.string() })))[0]!.u
  expect(pseudonym).toMatch(/^u_/)
})
afterAll(() => t.close())

describe('POST /v1/privacy/erasure', () => {
  it('with keep_usage, removes the pseudonym from every stored row and rebuilds the monthly cells without the user', async () => {
    expect(await months()).toEqual([
      ['2026-01', 7, 2, 2],
      ['2026-02', 4, 1, 1],
    ])
    const res = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: ERASED, keep_usage: true } })
    expect(res.status).toBe(200)
    // er-1, both versions of er-2 (until merged), er-4; the level record; the order; three cells.
    expect(res.body).toMatchObject({ usage: 'anonymised', usage_levels: 1, orders: 1, monthly_cells: 3, erasure_id: expect.any(String) })
    expect(res.body.usage_records).toBeGreaterThanOrEqual(3)
    for (const [table, column] of [['usage_records', 'user_id'], ['usage_levels', 'user_id'], ['orders', 'owner_pseudo']]) {
      expect({ table, n: await count(`SELECT count() AS n FROM ${table} WHERE ${column} = {p:String}`, pseudonym) }).toEqual({ table, n: 0 })
    }
    // The usage stays, anonymous: same sums and records, the erased user no longer counted.
    expect(await months()).toEqual([
      ['2026-01', 7, 2, 1],
      ['2026-02', 4, 1, 0],
    ])
    // Day-level reads (raw records) and the level metric agree.
    const day = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01-10&to=2026-01-10&granularity=total&resource=er-res&group_by=metric' })
    expect(day.body.rows.map((r: any) => [r.metric, r.value, r.users])).toEqual([
      ['cpu_hours', 7, 1],
      ['disk_gb', 7, 0],
    ])
    const order = await t.request({ method: 'GET', url: '/v1/orders/eosc:9900:1' })
    expect(order.body.owner_known).toBe(false)
  })

  it('keeps later records of the same subject countable, and erasing again finds nothing', async () => {
    await t.request({ method: 'POST', url: '/v1/usage-records', body: usageRecord({ record_id: 'er-5', resource: 'er-res', user: ERASED, value: 1, start: '2026-02-04T00:00:00Z', end: '2026-02-04T01:00:00Z' }) })
    expect((await months())[1]).toEqual(['2026-02', 5, 2, 1])
    const again = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: ERASED, keep_usage: true } })
    expect(again.body).toMatchObject({ usage_records: 1, monthly_cells: 1, orders: 0 })
    expect((await months())[1]).toEqual(['2026-02', 5, 2, 0])
    const none = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: 'never-seen@aai.example.org' } })
    expect(none.body).toMatchObject({ usage_records: 0, usage_levels: 0, orders: 0, monthly_cells: 0 })
  })

  it('by default deletes the user\'s records, every version, and brings back no one else\'s', async () => {
    const D = 'delete-me-51aa@aai.example.org'
    const Q = 'other-user-8d0c@aai.example.org'
    const rec = (id: string, user: string, value: number) => usageRecord({ record_id: id, resource: 'del-res', user, value })
    const push = (body: unknown) => t.request({ method: 'POST', url: '/v1/usage-records', body })
    await push([rec('d-1', D, 2), rec('d-2', Q, 1), rec('d-3', D, 4)])
    // d-2 now the deleted user's (an older version is Q's); d-3 now Q's (an older version is D's).
    await push([rec('d-2', D, 6), rec('d-3', Q, 5)])
    const cell = async () => {
      const r = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-01&granularity=month&resource=del-res' })
      return r.body.rows.map((x: any) => [x.value, x.records, x.users])
    }
    expect(await cell()).toEqual([[13, 3, 2]])
    await t.engine.settleUsage()
    const p = (await t.engine.store.query("SELECT any(user_id) AS u FROM usage_records FINAL WHERE record_id = 'd-1'", {}, z.object({ u: z.string() })))[0]!.u
    const res = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: D } })
    expect(res.body).toMatchObject({ usage: 'deleted', monthly_cells: 1 })
    expect(await cell()).toEqual([[5, 1, 1]])
    const day = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01-10&to=2026-01-10&granularity=total&resource=del-res' })
    expect(day.body.rows.map((x: any) => [x.value, x.records, x.users])).toEqual([[5, 1, 1]])
    expect(await count('SELECT count() AS n FROM usage_records WHERE user_id = {p:String}', p)).toBe(0)
    // The deleted record can be sent again and counts once.
    await push([rec('d-1', Q, 3)])
    expect(await cell()).toEqual([[8, 2, 1]])
  })

  it('is for admins only, and names a missing or bad field', async () => {
    for (const role of ['provider', 'funder', 'sla_manager'] as const) {
      const token = await t.token(role, role === 'provider' ? ['egi'] : [])
      const res = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: ERASED }, token })
      expect({ role, status: res.status }).toEqual({ role, status: 403 })
    }
    const missing = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: {} })
    expect(missing.status).toBe(400)
    expect(JSON.stringify(missing.body)).toContain('user')
    const control = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: 'a\u0000b' } })
    expect(control.status).toBe(400)
  })
})

describe('GET /v1/audit', () => {
  it('lists erasures and token creation, newest first, without any identifier', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/audit?limit=50' })
    expect(res.status).toBe(200)
    const actions = res.body.entries.map((e: any) => e.action)
    expect(actions.filter((a: string) => a === 'privacy.erasure')).toHaveLength(4)
    expect(actions).toContain('token.create')
    expect(res.body.entries[0].at >= res.body.entries[res.body.entries.length - 1].at).toBe(true)
    expect(res.body.entries.find((e: any) => e.action === 'privacy.erasure')).toMatchObject({ actor: 'bootstrap-admin', detail: { monthly_cells: expect.any(Number) } })
    expect(res.text).not.toContain(ERASED)
    expect(res.text).not.toContain(pseudonym)
    const funder = await t.token('funder')
    expect((await t.request({ method: 'GET', url: '/v1/audit', token: funder })).status).toBe(403)
  })

  it('records who read which report, with its filters', async () => {
    const funder = await t.token('funder')
    expect((await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-03&group_by=provider', token: funder })).status).toBe(200)
    let entry: any
    for (let i = 0; i < 250 && !entry; i++) {
      const res = await t.request({ method: 'GET', url: '/v1/audit' })
      entry = res.body.entries.find((e: any) => e.action === 'report.usage' && e.detail.role === 'funder')
      if (!entry) await new Promise((r) => setTimeout(r, 20))
    }
    expect(entry).toMatchObject({ actor: 'funder-', detail: { route: '/v1/usage', url: '/v1/usage?from=2026-01&to=2026-03&group_by=provider' } })
  })
})
