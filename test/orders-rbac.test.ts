import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResourceAliases } from '../src/catalog/resource-aliases.js'
import { VersionClock } from '../src/collectors/version-clock.js'
import { listOrders } from '../src/orders/order-queries.js'
import { resolveOrderResource } from '../src/orders/order-resource.js'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

let t: TestEngine
let provA: string
let provB: string
let funder: string
let sla: string

const RA = '21.11170/rbacA'
const RB = '21.11170/rbacB'

async function push(ref: string, o: { service?: string; oms?: Record<string, string>; owner: string; typology?: string; domains?: string[]; status?: string }) {
  const [, project, item] = ref.split(':').map(Number) as [number, number, number]
  const res = await t.request({
    method: 'PUT',
    url: `/v1/orders/${ref}`,
    body: {
      id: item,
      project_id: project,
      status: { type: o.status ?? 'ready' },
      attributes: { service: o.service ?? 'Unlisted Service', offer: 'Standard', order_type: 'order_required' },
      ...(o.oms ? { oms_params: o.oms } : {}),
      project: { id: project, owner: { uid: o.owner }, attributes: { customer_typology: o.typology ?? 'research', scientific_domains: o.domains ?? ['Physics'] } },
      observed_at: '2026-03-01T00:00:00Z',
    },
  })
  if (res.status >= 300) throw new Error(res.text)
}

const get = (url: string, token?: string) => t.request({ method: 'GET', url, token })

beforeAll(async () => {
  t = await startTestEngine()
  await t.metric('cpu_hours')
  provA = await t.token('provider', ['prov-a'])
  provB = await t.token('provider', ['prov-b'])
  funder = await t.token('funder')
  sla = await t.token('sla_manager')
  await t.request({ method: 'PUT', url: `/v1/resources/${RA}/aliases`, body: { aliases: ['Cloud A'], provider: 'prov-a' } })
  await t.request({ method: 'PUT', url: `/v1/resources/${RB}/aliases`, body: { aliases: [], provider: 'prov-b' } })
  // prov-a: six research orders of six owners, two single-user orders of two owners.
  for (let i = 1; i <= 6; i++) await push(`eosc:1${i}:1`, { service: 'Cloud A', owner: `ra-owner${i}@egi.eu` })
  await push('eosc:21:1', { service: 'Cloud A', owner: 'su1@egi.eu', typology: 'single_user', domains: ['Chemistry'] })
  await push('eosc:22:1', { service: 'Cloud A', owner: 'su2@egi.eu', typology: 'single_user', domains: ['Chemistry', 'Physics'], status: 'closed' })
  await push('eosc:31:1', { oms: { resource_pid: RB }, owner: 'rb-owner@egi.eu' })
  // Unresolved resources: the offer's OMS parameter names the provider, or nothing does.
  await push('eosc:41:1', { oms: { provider: 'prov-b' }, owner: 'x1@egi.eu' })
  await push('eosc:51:1', { owner: 'x2@egi.eu' })
  for (let i = 1; i <= 5; i++) await push(`eosc:7${i}:1`, { service: 'Company Cloud', owner: `pc-owner${i}@egi.eu`, typology: 'private_company', domains: ['Engineering'] })
  const rec = (id: string, provider: string, over: Record<string, unknown> = {}) =>
    usageRecord({ record_id: id, provider, resource: RA, user: 'ra-owner1@egi.eu', start: '2026-03-10T00:00:00Z', end: '2026-03-10T02:00:00Z', value: 2, ...over })
  expect((await t.request({ method: 'POST', url: '/v1/usage-records', body: [rec('a-1', 'prov-a'), rec('b-1', 'prov-b', { order: 'eosc:11:1' }), rec('x-1', 'prov-b', { order: 'eosc:99:9' })] })).body.accepted).toBe(3)
})
afterAll(() => t.close())

const refs = (res: { body: { rows: { order_ref: string }[] } }) => res.body.rows.map((r) => r.order_ref)

describe('who reads orders', () => {
  it('admins read every order', async () => {
    const all = await get('/v1/orders')
    expect(refs(all)).toEqual([
      'eosc:11:1', 'eosc:12:1', 'eosc:13:1', 'eosc:14:1', 'eosc:15:1', 'eosc:16:1', 'eosc:21:1', 'eosc:22:1', 'eosc:31:1', 'eosc:41:1', 'eosc:51:1',
      'eosc:71:1', 'eosc:72:1', 'eosc:73:1', 'eosc:74:1', 'eosc:75:1',
    ])
    expect((await get('/v1/orders/eosc:51:1')).body).toMatchObject({ resource: null, provider: null })
  })

  it('resolves resources and providers in SQL exactly as resolveOrderResource does', async () => {
    const aliases = new ResourceAliases(t.engine.store, new VersionClock())
    await aliases.load()
    const declared = new Map(aliases.declaredProviders())
    const { rows } = await listOrders(t.engine.store, { pids: [...declared.keys()], providers: [...declared.values()] }, { limit: 1000 }, '*')
    expect(rows.length).toBeGreaterThan(10)
    const vias = new Set<string>()
    for (const v of rows) {
      const expected = resolveOrderResource(v.state, { resolveAlias: (a) => aliases.resolveAlias(a), providerOf: (pid) => declared.get(pid) ?? null })
      expect(v.resolved, v.state.order_ref).toEqual(expected)
      vias.add(v.resolved.via)
    }
    expect([...vias].sort()).toEqual(['alias', 'oms_params', 'unresolved'])
  })

  it('providers read the orders of their own resources only', async () => {
    expect(refs(await get('/v1/orders', provA))).toEqual(['eosc:11:1', 'eosc:12:1', 'eosc:13:1', 'eosc:14:1', 'eosc:15:1', 'eosc:16:1', 'eosc:21:1', 'eosc:22:1'])
    expect(refs(await get('/v1/orders', provB))).toEqual(['eosc:31:1', 'eosc:41:1'])
    expect((await get('/v1/orders/eosc:11:1', provA)).body).toMatchObject({ resource: RA, resource_via: 'alias', provider: 'prov-a' })
    expect((await get('/v1/orders/eosc:41:1', provB)).body).toMatchObject({ resource: null, provider: 'prov-b' })
    for (const ref of ['eosc:31:1', 'eosc:41:1', 'eosc:51:1', 'eosc:99:9']) {
      expect((await get(`/v1/orders/${ref}`, provA)).status, ref).toBe(404)
      expect((await get(`/v1/orders/${ref}/usage`, provA)).status, ref).toBe(404)
    }
    expect((await get('/v1/orders/eosc:11:1', provB)).status).toBe(404)
  })

  it('a provider sees only its own usage records of an order; admins see all of them', async () => {
    const own = await get('/v1/orders/eosc:11:1/usage', provA)
    expect(own.body.linkage).toEqual({ explicit_order_ref: 0, user_resource_window: 1, ambiguous: 0 })
    const all = await get('/v1/orders/eosc:11:1/usage')
    expect(all.body.linkage).toEqual({ explicit_order_ref: 1, user_resource_window: 1, ambiguous: 0 })
    // An order not known yet: admins still see the usage naming it.
    const unknown = await get('/v1/orders/eosc:99:9/usage')
    expect(unknown.body).toMatchObject({ order: null, linkage: { explicit_order_ref: 1, user_resource_window: 0, ambiguous: 0 } })
  })

  it('lists filter by resource (any alias), status and lifetime, page by page, and export CSV', async () => {
    expect(refs(await get('/v1/orders?resource=Cloud%20A&status=closed'))).toEqual(['eosc:22:1'])
    expect(refs(await get(`/v1/orders?resource=${encodeURIComponent(RB)}`))).toEqual(['eosc:31:1'])
    // Every order started on 2026-03-01: none was alive in February; the closed one ended then.
    expect(refs(await get('/v1/orders?to=2026-02'))).toEqual([])
    expect(refs(await get('/v1/orders?from=2026-03-02&status=closed'))).toEqual([])
    const page1 = await get('/v1/orders?limit=4')
    expect(refs(page1)).toHaveLength(4)
    const page2 = await get(`/v1/orders?limit=4&after=${page1.body.next_after}`)
    expect(refs(page2)[0]).toBe('eosc:15:1')
    const csv = await get('/v1/orders?resource=Cloud%20A&status=closed&format=csv')
    expect(csv.text.split('\r\n')[0]).toBe('order_ref,resource,provider,status,order_type,service,offer,created_at,active_from,active_to,customer_typology')
    expect(csv.text).toContain('eosc:22:1,21.11170/rbacA,prov-a,closed,order_required,Cloud A,Standard')
    expect((await get('/v1/orders?status=done')).status).toBe(400)
  })

  it('funders, SLA managers and monitors get no order refs', async () => {
    for (const token of [funder, sla]) {
      expect((await get('/v1/orders', token)).status).toBe(403)
      expect((await get('/v1/orders/eosc:11:1', token)).status).toBe(403)
      expect((await get('/v1/orders/eosc:11:1/usage', token)).status).toBe(403)
    }
    expect((await get('/v1/usage?group_by=order', funder)).status).toBe(403)
    expect((await get('/v1/usage?order=eosc:11:1', funder)).status).toBe(403)
  })

  it('only admins push orders, set aliases or trigger polls', async () => {
    const body = { id: 1, project_id: 61, status: { type: 'ready' } }
    for (const token of [provA, funder]) {
      expect((await t.request({ method: 'PUT', url: '/v1/orders/eosc:61:1', body, token })).status).toBe(403)
      expect((await t.request({ method: 'PUT', url: `/v1/resources/${RA}/aliases`, body: { aliases: [] }, token })).status).toBe(403)
      expect((await t.request({ method: 'POST', url: '/v1/orders/trigger', token })).status).toBe(403)
    }
    expect((await t.request({ method: 'PUT', url: '/v1/orders/eosc:61:1', body, token: null })).status).toBe(401)
    // Aliases are no secret: every reading role may look them up.
    expect((await get(`/v1/resources/${RA}/aliases`, funder)).body).toEqual({ pid: RA, aliases: ['Cloud A'], provider: 'prov-a' })
    // With no Marketplace configured the trigger has nothing to poll.
    const trigger = await t.request({ method: 'POST', url: '/v1/orders/trigger' })
    expect(trigger.status).toBe(409)
    expect(trigger.body.error.code).toBe('MARKETPLACE_NOT_CONFIGURED')
  })
})

describe('order statistics', () => {
  it('gives funders counts by typology and domain with small cells suppressed, never refs or owners', async () => {
    const res = await get('/v1/orders/stats?group_by=customer_typology', funder)
    expect(res.status).toBe(200)
    expect(res.body.suppression_k).toBe(5)
    const byTypology = Object.fromEntries(res.body.rows.map((r: { customer_typology: string }) => [r.customer_typology, r]))
    // research: 9 orders of 9 owners; single_user: 2 owners, suppressed; private_company (5 owners) is
    // suppressed too, or the total minus the visible cells would give single_user back.
    expect(byTypology.research).toEqual({ customer_typology: 'research', orders: 9, active_orders: 9, owners: 9, suppressed: false })
    expect(byTypology.single_user).toEqual({ customer_typology: 'single_user', orders: null, active_orders: null, owners: null, suppressed: true })
    expect(byTypology.private_company).toMatchObject({ orders: null, suppressed: true })
    expect(res.text).not.toMatch(/eosc:|u_[A-Za-z0-9_-]{43}/)

    const domains = await get('/v1/orders/stats?group_by=scientific_domain', funder)
    expect(domains.body.rows).toEqual([
      { scientific_domain: 'Chemistry', orders: null, active_orders: null, owners: null, suppressed: true },
      { scientific_domain: 'Engineering', orders: null, active_orders: null, owners: null, suppressed: true },
      // An order with two domains counts in both; the closed one was never active.
      { scientific_domain: 'Physics', orders: 10, active_orders: 9, owners: 10, suppressed: false },
    ])
  })

  it('gives providers their own counts unsuppressed, and admins everything', async () => {
    const own = await get('/v1/orders/stats?group_by=status', provA)
    expect(own.body).toMatchObject({
      suppression_k: null,
      rows: [
        { status: 'closed', orders: 1, active_orders: 0, owners: 1, suppressed: false },
        { status: 'ready', orders: 7, active_orders: 7, owners: 7, suppressed: false },
      ],
    })
    const all = await get('/v1/orders/stats?group_by=provider')
    expect(all.body.rows).toEqual([
      { provider: '', orders: 6, active_orders: 6, owners: 6, suppressed: false },
      { provider: 'prov-a', orders: 8, active_orders: 7, owners: 8, suppressed: false },
      { provider: 'prov-b', orders: 2, active_orders: 2, owners: 2, suppressed: false },
    ])
    const csv = await get('/v1/orders/stats?group_by=status&format=csv', provA)
    expect(csv.text.split('\r\n').slice(0, 2)).toEqual(['status,orders,active_orders,owners,suppressed', 'closed,1,0,1,false'])
    expect((await get('/v1/orders/stats?group_by=owner', funder)).status).toBe(400)
  })
})

// Last: it adds an order the counts above do not expect.
describe('resource owners', () => {
  it('takes a resource’s provider from the topology first', async () => {
    const RT = '21.11170/rbacT'
    const topo = await t.request({
      method: 'PUT',
      url: '/v1/topology',
      body: { date: '2026-01-01', groups: [{ group: 'SITE-T', type: 'SITES', provider: 'prov-t', resource: RT, endpoints: [] }] },
    })
    expect(topo.status).toBe(200)
    await push('eosc:81:1', { oms: { resource_pid: RT, provider: 'prov-b' }, owner: 'rt-owner@egi.eu' })
    const provT = await t.token('provider', ['prov-t'])
    expect((await get('/v1/orders/eosc:81:1', provT)).body).toMatchObject({ resource: RT, provider: 'prov-t' })
    // The offer's own claim loses to the topology.
    expect((await get('/v1/orders/eosc:81:1', provB)).status).toBe(404)
    await t.request({ method: 'PUT', url: '/v1/topology', body: { date: '2026-01-01', groups: [] } })
    expect((await get('/v1/orders/eosc:81:1', provB)).status).toBe(200)
  })
})

describe('API description', () => {
  it('documents the order and alias routes in the OpenAPI document', async () => {
    const doc = await t.request({ method: 'GET', url: '/docs/json', token: null })
    expect(doc.status).toBe(200)
    for (const path of ['/v1/orders', '/v1/orders/{order_ref}', '/v1/orders/{order_ref}/usage', '/v1/orders/stats', '/v1/orders/trigger']) {
      expect(doc.body.paths[path], path).toBeDefined()
    }
  })
})
