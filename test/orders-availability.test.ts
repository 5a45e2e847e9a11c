import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CE, postResults, result, setUp, SRM } from './monitoring-support.js'
import { startTestEngine, type TestEngine } from './support/test-engine.js'

let t: TestEngine

/** An order of SITE-A's resource, ready on `from` and closed on `to` (00:00 UTC). */
async function order(ref: string, resource: string, from: string, to: string): Promise<void> {
  const [, project, item] = ref.split(':').map(Number)
  for (const [type, at] of [['ready', from], ['closed', to]] as const) {
    const res = await t.request({
      method: 'PUT',
      url: `/v1/orders/${ref}`,
      body: { id: item, project_id: project, status: { type }, attributes: { service: 'Cloud', offer: 'Standard', order_type: 'order_required' }, oms_params: { resource_pid: resource }, observed_at: `${at}T00:00:00Z` },
    })
    expect(res.status, res.text).toBeLessThan(300)
  }
}

beforeAll(async () => {
  t = await startTestEngine()
  await setUp(t)
  // 2 March: everything OK all day. 3 March: SITE-A's only storage endpoint CRITICAL all day.
  const res = await postResults(t, [
    result('2026-03-02T00:00:00Z', 'ce1.a.example.org', 'compute', CE, 'OK'),
    result('2026-03-02T00:00:00Z', 'ce2.a.example.org', 'compute', CE, 'OK'),
    result('2026-03-02T00:00:00Z', 'se1.a.example.org', 'storage', SRM, 'OK'),
    result('2026-03-03T00:00:00Z', 'se1.a.example.org', 'storage', SRM, 'CRITICAL'),
  ])
  expect(res.body.accepted).toBe(4)
  await order('eosc:500:1', '21.11170/aaa', '2026-03-02', '2026-03-03')
  await order('eosc:501:1', '21.11170/aaa', '2026-03-02', '2026-03-04')
  await order('eosc:502:1', 'no.groups.pid', '2026-03-02', '2026-03-04')
})
afterAll(() => t.close())

describe('GET /v1/orders/{ref}/availability', () => {
  it('weights the resource’s A/R by the days the order was active', async () => {
    const one = await t.request({ method: 'GET', url: '/v1/orders/eosc:500:1/availability?month=2026-03' })
    expect(one.status, one.text).toBe(200)
    expect(one.body).toMatchObject({ order_ref: 'eosc:500:1', resource: '21.11170/aaa', report: 'core', month: '2026-03', active_days: ['2026-03-02'] })
    expect(one.body.figures).toMatchObject({ availability: 100, reliability: 100 })
    const two = await t.request({ method: 'GET', url: '/v1/orders/eosc:501:1/availability?month=2026-03' })
    expect(two.body.active_days).toEqual(['2026-03-02', '2026-03-03'])
    expect(two.body.groups).toMatchObject([{ group: 'SITE-A', days: 2, computed_days: 2, availability: 50, reliability: 50 }])
    expect(two.body.figures).toMatchObject({ availability: 50, reliability: 50, uptime: 0.5, downtime: 0 })
  })

  it('has no figures for a resource without monitored groups, and none outside the active month', async () => {
    const none = await t.request({ method: 'GET', url: '/v1/orders/eosc:502:1/availability?month=2026-03' })
    expect(none.body).toMatchObject({ groups: [], figures: null })
    const april = await t.request({ method: 'GET', url: '/v1/orders/eosc:501:1/availability?month=2026-04' })
    expect(april.body).toMatchObject({ active_days: [], figures: null })
  })

  it('refuses a bad month or an unknown report, and unknown orders', async () => {
    expect((await t.request({ method: 'GET', url: '/v1/orders/eosc:500:1/availability?month=2026-13' })).status).toBe(400)
    expect((await t.request({ method: 'GET', url: '/v1/orders/eosc:500:1/availability?month=2026-03&report=nope' })).status).toBe(404)
    expect((await t.request({ method: 'GET', url: '/v1/orders/eosc:999:1/availability?month=2026-03' })).status).toBe(404)
  })
})
