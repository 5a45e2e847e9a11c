import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { linkUsage, type LinkCandidate } from '../src/orders/linkage.js'
import { mergeOrderStates } from '../src/orders/order-history.js'
import { minimiseProjectItem } from '../src/orders/order-minimise.js'
import type { OrderState } from '../src/orders/order-types.js'
import { loadOrCreateKey, Pseudonymiser } from '../src/privacy/pseudonymiser.js'
import { listOrders } from '../src/orders/order-queries.js'
import { linkUsageRows } from '../src/orders/usage-linkage.queries.js'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

let t: TestEngine

const R = '21.11170/linkR'
const R2 = '21.11170/linkR2'
const MARCH = { from: Date.UTC(2026, 2, 1), to: Date.UTC(2026, 3, 1) }
const day = (d: number, h = 10) => new Date(Date.UTC(2026, 2, d, h)).toISOString()

interface OrderSpec {
  ref: string
  owner?: string
  service?: string
  resource_pid?: string
  provider?: string
  /** [status, day of March] in push order (late events may come last). */
  statuses: [string, number][]
}

const specs = new Map<string, OrderSpec>()

/** Pushes an order's statuses one by one, each observed on its day; later calls add statuses to a known order. */
async function pushOrder(spec: OrderSpec | { ref: string; statuses: [string, number][] }): Promise<void> {
  const o: OrderSpec = { ...specs.get(spec.ref), ...spec }
  specs.set(o.ref, o)
  const [, project, item] = o.ref.split(':').map(Number) as [number, number, number]
  for (const [i, [status, d]] of o.statuses.entries()) {
    const body = {
      id: item,
      project_id: project,
      status: { type: status },
      attributes: { service: o.service ?? 'Some Service', offer: 'Standard', order_type: 'order_required' },
      ...(o.resource_pid || o.provider ? { oms_params: { ...(o.resource_pid ? { resource_pid: o.resource_pid } : {}), ...(o.provider ? { provider: o.provider } : {}) } } : {}),
      ...(i === 0 && o.owner ? { project: { id: project, owner: { uid: o.owner, email: 'x@example.org' }, attributes: { customer_typology: 'research' } } } : {}),
      observed_at: day(d, 0),
    }
    const res = await t.request({ method: 'PUT', url: `/v1/orders/${o.ref}`, body })
    if (res.status >= 300) throw new Error(`push ${o.ref}: ${res.text}`)
  }
}

async function usage(records: Record<string, unknown>[]): Promise<void> {
  const res = await t.request({ method: 'POST', url: '/v1/usage-records', body: records })
  expect(res.body.rejected).toEqual([])
}

const rec = (id: string, user: string | undefined, resource: string, d: number, over: Record<string, unknown> = {}) =>
  usageRecord({ record_id: id, provider: 'prov-a', resource, user, start: day(d, 10), end: day(d, 11), ...over })

async function linkage(resources: string[]) {
  await t.engine.settleUsage()
  const rows = await linkUsageRows(t.engine.store, { resources, ...MARCH })
  return Object.fromEntries(rows.map((r) => [r.record_id, { method: r.method, order: r.order_ref, ...(r.candidates.length ? { candidates: r.candidates } : {}) }]))
}

beforeAll(async () => {
  t = await startTestEngine()
  await t.metric('cpu_hours', 'sum', 'h')
  expect((await t.request({ method: 'PUT', url: `/v1/resources/${R}/aliases`, body: { aliases: ['Linkage Cloud', 'legacy.linkr'], provider: 'prov-a' } })).status).toBe(200)

  await pushOrder({ ref: 'eosc:100:1', owner: 'alice@egi.eu', service: 'Linkage Cloud', statuses: [['created', 1], ['ready', 5], ['closed', 20]] })
  await pushOrder({ ref: 'eosc:101:1', owner: 'carol@egi.eu', resource_pid: R2, statuses: [['ready', 1]] })
  await pushOrder({ ref: 'eosc:102:1', owner: 'carol@egi.eu', resource_pid: R2, statuses: [['ready', 1]] })
  await pushOrder({ ref: 'eosc:103:1', owner: 'dave@egi.eu', service: 'Mystery Service', statuses: [['ready', 1]] })
  await pushOrder({ ref: 'eosc:104:1', owner: 'erin@egi.eu', resource_pid: 'legacy.linkr', statuses: [['ready', 1]] })

  await usage([
    rec('a-in', 'alice@egi.eu', R, 10),
    rec('a-alias', 'alice@egi.eu', 'legacy.linkr', 12),
    rec('a-before', 'alice@egi.eu', R, 2),
    rec('a-after', 'alice@egi.eu', R, 25),
    rec('a-explicit', 'alice@egi.eu', R, 25, { order: 'eosc:100:1' }),
    rec('a-unknown-alias', 'alice@egi.eu', 'unknown.alias', 10),
    rec('b-none', 'bob@egi.eu', R, 10),
    rec('b-contradicted', 'bob@egi.eu', R2, 10, { order: 'eosc:100:1' }),
    rec('b-unknown-order', 'bob@egi.eu', R, 10, { order: 'eosc:999:9' }),
    rec('c-ambiguous', 'carol@egi.eu', R2, 10),
    rec('c-explicit', 'carol@egi.eu', R2, 11, { order: 'eosc:102:1' }),
    rec('d-mystery', 'dave@egi.eu', 'mystery.pid', 10),
    rec('e-early', 'erin@egi.eu', R, 5),
    rec('e-late', 'erin@egi.eu', R, 15),
    rec('anon', undefined, R, 10),
  ])
})
afterAll(() => t.close())

describe('usage ↔ order linkage', () => {
  it('links by each method, and never outside an active window', async () => {
    expect(await linkage([R, R2, 'unknown.alias'])).toEqual({
      'a-in': { method: 'user_resource_window', order: 'eosc:100:1' },
      // Stored under the canonical PID at ingest, so it meets the order like any other record.
      'a-alias': { method: 'user_resource_window', order: 'eosc:100:1' },
      'a-before': { method: 'resource_only', order: null },
      'a-after': { method: 'resource_only', order: null },
      'a-explicit': { method: 'explicit_order_ref', order: 'eosc:100:1' },
      'a-unknown-alias': { method: 'resource_only', order: null },
      'b-none': { method: 'resource_only', order: null },
      // It names an order of another resource: the claim is not trusted.
      'b-contradicted': { method: 'resource_only', order: null },
      // An order not polled yet: the provider's word is taken.
      'b-unknown-order': { method: 'explicit_order_ref', order: 'eosc:999:9' },
      'c-ambiguous': { method: 'ambiguous', order: null, candidates: ['eosc:101:1', 'eosc:102:1'] },
      'c-explicit': { method: 'explicit_order_ref', order: 'eosc:102:1' },
      'e-early': { method: 'user_resource_window', order: 'eosc:104:1' },
      'e-late': { method: 'user_resource_window', order: 'eosc:104:1' },
      anon: { method: 'resource_only', order: null },
    })
  })

  it('an order whose service is no known alias links nothing until the alias is registered', async () => {
    expect(await linkage(['mystery.pid'])).toEqual({ 'd-mystery': { method: 'resource_only', order: null } })
    const order = await t.request({ method: 'GET', url: '/v1/orders/eosc:103:1' })
    expect(order.body).toMatchObject({ resource: null, resource_via: 'unresolved', provider: null })

    const put = await t.request({ method: 'PUT', url: '/v1/resources/mystery.pid/aliases', body: { aliases: ['Mystery Service'] } })
    expect(put.status).toBe(200)
    expect(await linkage(['mystery.pid'])).toEqual({ 'd-mystery': { method: 'user_resource_window', order: 'eosc:103:1' } })
    expect((await t.request({ method: 'GET', url: '/v1/orders/eosc:103:1' })).body).toMatchObject({ resource: 'mystery.pid', resource_via: 'alias' })
  })

  it('a late status event re-links: a close before the usage unlinks it, a later ready links it again', async () => {
    await pushOrder({ ref: 'eosc:104:1', statuses: [['closed', 10]] })
    expect(await linkage([R])).toMatchObject({
      'e-early': { method: 'user_resource_window', order: 'eosc:104:1' },
      'e-late': { method: 'resource_only', order: null },
    })
    await pushOrder({ ref: 'eosc:104:1', statuses: [['ready', 12]] })
    const order = await t.request({ method: 'GET', url: '/v1/orders/eosc:104:1' })
    expect(order.body.active_windows).toEqual([
      { from: day(1, 0), to: day(10, 0) },
      { from: day(12, 0), to: null },
    ])
    expect(await linkage([R])).toMatchObject({ 'e-late': { method: 'user_resource_window', order: 'eosc:104:1' } })
  })

  it('GET /v1/orders/{ref}/usage reports the order’s usage by month, metric and link method', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/orders/eosc:100:1/usage' })
    expect(res.status).toBe(200)
    expect(res.body.order).toMatchObject({ order_ref: 'eosc:100:1', resource: R, provider: 'prov-a' })
    expect(res.body.rows).toEqual([
      { period: '2026-03', metric: 'cpu_hours', unit: 'h', method: 'explicit_order_ref', value: 1, records: 1, users: 1 },
      { period: '2026-03', metric: 'cpu_hours', unit: 'h', method: 'user_resource_window', value: 2, records: 2, users: 1 },
    ])
    expect(res.body.linkage).toEqual({ explicit_order_ref: 1, user_resource_window: 2, ambiguous: 0 })

    // Ambiguous usage is shown with each candidate, never attributed.
    const o2 = await t.request({ method: 'GET', url: '/v1/orders/eosc:101:1/usage' })
    expect(o2.body.rows).toEqual([{ period: '2026-03', metric: 'cpu_hours', unit: 'h', method: 'ambiguous', value: 1, records: 1, users: 1 }])
    const o3 = await t.request({ method: 'GET', url: '/v1/orders/eosc:102:1/usage?from=2026-03&to=2026-03&format=csv' })
    expect(o3.text.trim().split('\r\n')).toEqual([
      'period,metric,unit,method,value,records,users',
      '2026-03,cpu_hours,h,ambiguous,1,1,1',
      '2026-03,cpu_hours,h,explicit_order_ref,1,1,1',
    ])
    const outside = await t.request({ method: 'GET', url: '/v1/orders/eosc:100:1/usage?from=2026-04&to=2026-05' })
    expect(outside.body.rows).toEqual([])
  })

  it('agrees with linkUsage (the tested TypeScript rule) on random orders and usage', async () => {
    let seed = 42
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
    const resources = ['rnd.res.0', 'rnd.res.1', 'rnd.res.2']
    const users = ['rnd-u0@egi.eu', 'rnd-u1@egi.eu', 'rnd-u2@egi.eu']
    // The engine's own key (generated into its data folder), so owners and usage users meet.
    const pseudonymiser = new Pseudonymiser(loadOrCreateKey(undefined, t.dataDir, () => {}))
    const refs: string[] = []
    // Stored straight through the order store (the push path is covered above): one insert.
    const states: OrderState[] = []
    for (let i = 0; i < 24; i++) {
      const ref = `eosc:${500 + i}:1`
      refs.push(ref)
      const owner = rnd() < 0.85 ? pick(users) : undefined
      const resource_pid = pick(resources)
      let state: OrderState | undefined
      let d = 1 + Math.floor(rnd() * 5)
      for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
        const out = minimiseProjectItem(
          { id: 1, project_id: 500 + i, status: { type: pick(['ready', 'ready', 'in_progress', 'closed', 'rejected', 'approved']) }, oms_params: { resource_pid } },
          {
            instance: 'eosc',
            pseudonymise: (id) => pseudonymiser.pseudonymise(id),
            ...(owner ? { project: { id: 500 + i, owner: { uid: owner } } } : {}),
            observedAt: day(d, 0),
          },
        )
        if (!out.ok) throw new Error(out.errors.join('; '))
        state = mergeOrderStates(state, out.row)
        d += 1 + Math.floor(rnd() * 8)
      }
      states.push(state!)
    }
    await t.engine.orders.store.saveOrders(states)
    const records = Array.from({ length: 240 }, (_, i) => {
      const start = Date.UTC(2026, 2, 1) + Math.floor(rnd() * 27 * 86_400_000)
      const end = start + Math.floor(rnd() * 2 * 86_400_000)
      const order = rnd() < 0.2 ? pick([...refs, 'eosc:1:999']) : undefined
      return usageRecord({
        record_id: `rnd-${i}`,
        provider: 'prov-rnd',
        resource: pick(resources),
        user: rnd() < 0.9 ? pick(users) : undefined,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        ...(order ? { order } : {}),
      })
    })
    await usage(records)
    await t.engine.settleUsage()

    const sql = await linkUsageRows(t.engine.store, { resources, ...MARCH })
    expect(sql).toHaveLength(240)
    const { rows: views } = await listOrders(t.engine.store, { pids: [], providers: [] }, { limit: 1000 }, '*')
    const candidates: LinkCandidate[] = views.map((v) => ({
      order_ref: v.state.order_ref,
      resource: v.resolved.resource,
      owner_pseudo: v.state.owner_pseudo,
      active_windows: v.state.active_windows,
    }))
    const stored = await t.engine.store.query(
      `SELECT record_id, resource, user_id, toUnixTimestamp64Milli(start) AS s, toUnixTimestamp64Milli(end) AS e, order_ref
       FROM usage_records FINAL WHERE provider = 'prov-rnd'`,
      {},
      z.object({ record_id: z.string(), resource: z.string(), user_id: z.string(), s: z.coerce.number(), e: z.coerce.number(), order_ref: z.string() }),
    )
    const expected = new Map(
      stored.map((u) => [u.record_id, linkUsage({ resource: u.resource, user: u.user_id || null, startMs: u.s, endMs: u.e, order: u.order_ref || null }, candidates)]),
    )
    const methods = new Set<string>()
    for (const r of sql) {
      const want = expected.get(r.record_id)!
      methods.add(want.method)
      expect({ id: r.record_id, method: r.method, order: r.order_ref, candidates: r.candidates }).toEqual({
        id: r.record_id,
        method: want.method,
        order: want.order_ref,
        candidates: want.method === 'ambiguous' ? want.candidates : [],
      })
    }
    // The random data exercised every method.
    expect([...methods].sort()).toEqual(['ambiguous', 'explicit_order_ref', 'resource_only', 'user_resource_window'])
  })
})

describe('resource aliases', () => {
  const usageBy = async (q: string) => (await t.request({ method: 'GET', url: `/v1/usage?${q}` })).body.rows
  const MOVE = 'rekey.pid'

  it('moves usage stored under a name that later becomes an alias, keeping the aggregates exact', async () => {
    await usage([0, 1, 2].map((i) => rec(`rk-${i}`, `rk-user${i}@egi.eu`, 'rekey.legacy', 3 + i)))
    expect(await usageBy('from=2026-03&to=2026-03&resource=rekey.legacy,rekey.pid&group_by=resource')).toMatchObject([{ resource: 'rekey.legacy', value: 3, users: 3 }])

    const put = await t.request({ method: 'PUT', url: `/v1/resources/${MOVE}/aliases`, body: { aliases: ['rekey.legacy'] } })
    expect(put.body).toEqual({ pid: MOVE, aliases: ['rekey.legacy'], provider: null, moved_usage_records: 3 })
    // Month-aligned (pre-aggregates) and day-range (raw table) reads agree.
    for (const q of ['from=2026-03&to=2026-03', 'from=2026-03-01&to=2026-03-31']) {
      expect(await usageBy(`${q}&resource=rekey.legacy,rekey.pid&group_by=resource&granularity=total`)).toMatchObject([{ resource: MOVE, value: 3, records: 3, users: 3 }])
    }
    // From now on records naming the alias are stored under the PID at ingest.
    await usage([rec('rk-3', 'rk-user0@egi.eu', 'rekey.legacy', 9)])
    expect(await usageBy('from=2026-03&to=2026-03&resource=rekey.legacy,rekey.pid&group_by=resource')).toMatchObject([{ resource: MOVE, value: 4, records: 4, users: 3 }])
  })

  it('reads and writes PIDs with a slash, encoded or not', async () => {
    const plain = await t.request({ method: 'GET', url: `/v1/resources/${R}/aliases` })
    expect(plain.body).toEqual({ pid: R, aliases: ['Linkage Cloud', 'legacy.linkr'], provider: 'prov-a' })
    const encoded = await t.request({ method: 'GET', url: `/v1/resources/${encodeURIComponent(R)}/aliases` })
    expect(encoded.body).toEqual(plain.body)
    expect((await t.request({ method: 'GET', url: '/v1/resources/none.yet/aliases' })).body).toEqual({ pid: 'none.yet', aliases: [], provider: null })
    expect((await t.request({ method: 'GET', url: `/v1/resources/${R}/other` })).status).toBe(404)
  })

  it('refuses an alias held by another resource, and chains', async () => {
    const taken = await t.request({ method: 'PUT', url: '/v1/resources/other.pid/aliases', body: { aliases: ['Linkage Cloud'] } })
    expect(taken.status).toBe(409)
    expect(taken.body.error).toMatchObject({ code: 'ALIAS_CONFLICT', message: expect.stringContaining(R) })
    const aliasAsPid = await t.request({ method: 'PUT', url: '/v1/resources/legacy.linkr/aliases', body: { aliases: ['x'] } })
    expect(aliasAsPid.status).toBe(409)
    const pidAsAlias = await t.request({ method: 'PUT', url: '/v1/resources/other.pid/aliases', body: { aliases: [R] } })
    expect(pidAsAlias.status).toBe(409)
    const bad = await t.request({ method: 'PUT', url: '/v1/resources/other.pid/aliases', body: { aliases: ['ok', 'bad\u0001'] } })
    expect(bad.status).toBe(400)
    expect((await t.request({ method: 'GET', url: '/v1/resources/other.pid/aliases' })).body.aliases).toEqual([])
  })
})
