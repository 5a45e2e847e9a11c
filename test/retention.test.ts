import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

let t: TestEngine

beforeAll(async () => {
  // Three months of retention: records of January 2025 are long past it, yesterday's are not.
  t = await startTestEngine({ env: { EOSC_AM_USER_RETENTION_MONTHS: '3' } })
  await t.metric('cpu_hours')
})
afterAll(() => t.close())

const users = async () =>
  t.engine.store.query('SELECT record_id, user_id FROM usage_records FINAL ORDER BY record_id', {}, z.object({ record_id: z.string(), user_id: z.string() }))

describe('user-level retention (EOSC_AM_USER_RETENTION_MONTHS)', () => {
  it('clears pseudonyms of records past the retention period and keeps the usage and its aggregates', async () => {
    const now = new Date()
    const recent = new Date(now.getTime() - 86_400_000).toISOString().slice(0, 19) + 'Z'
    const recentStart = new Date(now.getTime() - 2 * 86_400_000).toISOString().slice(0, 19) + 'Z'
    const res = await t.request({
      method: 'POST',
      url: '/v1/usage-records',
      body: [
        usageRecord({ record_id: 'old-1', resource: 'ret-res', start: '2025-01-10T00:00:00Z', end: '2025-01-10T01:00:00Z', user: 'old-user@aai.example.org', value: 2 }),
        usageRecord({ record_id: 'new-1', resource: 'ret-res', start: recentStart, end: recent, user: 'new-user@aai.example.org', value: 3 }),
      ],
    })
    expect(res.body.accepted).toBe(2)
    const before = await t.request({ method: 'GET', url: '/v1/usage?from=2025-01&to=2025-01&resource=ret-res' })
    expect(before.body.rows).toMatchObject([{ value: 2, records: 1, users: 1 }])
    // TTLs apply when parts merge; make that happen now.
    await t.engine.settleUsage()
    await t.engine.store.command('OPTIMIZE TABLE usage_records FINAL')
    const rows = await users()
    expect(rows.find((r) => r.record_id === 'old-1')?.user_id).toBe('')
    expect(rows.find((r) => r.record_id === 'new-1')?.user_id).toMatch(/^u_/)
    // The month's aggregate keeps its sum, record count and distinct-user count.
    const after = await t.request({ method: 'GET', url: '/v1/usage?from=2025-01&to=2025-01&resource=ret-res' })
    expect(after.body.rows).toMatchObject([{ value: 2, records: 1, users: 1 }])
  })

  it('clears the owner of an order closed longer ago than the retention period, not of an open one', async () => {
    const put = (id: number, status: string, at: string) =>
      t.request({
        method: 'PUT',
        url: `/v1/orders/eosc:9700:${id}`,
        body: {
          id,
          project_id: 9700,
          status: { type: status },
          attributes: { service: 'S', offer: 'O' },
          project: { id: 9700, owner: { uid: 'owner-ret@aai.example.org' }, attributes: { customer_typology: 'project' } },
          observed_at: at,
        },
      })
    expect((await put(1, 'closed', '2025-01-05T00:00:00Z')).status).toBe(201)
    expect((await put(2, 'ready', '2025-01-05T00:00:00Z')).status).toBe(201)
    // (ClickHouse may apply an already expired TTL at insert, else at the merge.)
    await t.engine.store.command('OPTIMIZE TABLE orders FINAL')
    expect((await t.request({ method: 'GET', url: '/v1/orders/eosc:9700:1' })).body.owner_known).toBe(false)
    expect((await t.request({ method: 'GET', url: '/v1/orders/eosc:9700:2' })).body.owner_known).toBe(true)
  })
})
