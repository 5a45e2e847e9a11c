import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { PollOutcome } from '../src/orders/order-sync.js'
import { startFakeMarketplace, type FakeMarketplace } from './support/fake-marketplace/fake-marketplace.js'
import { ADMIN, startTestEngine, type TestEngine } from './support/test-engine.js'

const SECRET = 'trigger-secret-0123456789abcdef'
const t0 = (s: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, s)).toISOString()

let mp: FakeMarketplace
let t: TestEngine

beforeAll(async () => {
  mp = await startFakeMarketplace()
  t = await startTestEngine({
    env: {
      EOSC_AM_MARKETPLACE_URL: mp.url,
      EOSC_AM_MARKETPLACE_OMS_ID: mp.omsId,
      EOSC_AM_MARKETPLACE_TOKEN: mp.token,
      EOSC_AM_MARKETPLACE_TRIGGER_SECRET: SECRET,
      // Scheduled polls are covered by src/orders/order-sync.test.ts; here only triggers poll.
      EOSC_AM_MARKETPLACE_POLL_CRON: '0 0 1 1 *',
      EOSC_AM_MARKETPLACE_PAGE_LIMIT: '20',
      EOSC_AM_MARKETPLACE_RETRIES: '3',
      EOSC_AM_MARKETPLACE_RETRY_MIN_MS: '1',
      EOSC_AM_MARKETPLACE_RETRY_MAX_MS: '5',
    },
  })
})
afterAll(async () => {
  await t?.close()
  await mp?.close()
})

const sync = () => t.engine.orders.sync!

/** The first poll outcome from now on that matches; subscribe before causing it. */
function untilPoll(match: (o: PollOutcome) => boolean = () => true): Promise<PollOutcome> {
  return new Promise((resolve) => {
    const off = sync().onPoll((o) => {
      if (!match(o)) return
      off()
      resolve(o)
    })
  })
}
const nextPoll = () => untilPoll()

/** The Marketplace's trigger call: no body, HTTP Basic with the shared secret. */
function trigger(auth: string | null = `Basic ${Buffer.from(`oms:${SECRET}`).toString('base64')}`) {
  return t.engine.app.inject({ method: 'POST', url: '/v1/orders/trigger', headers: auth ? { authorization: auth } : {} })
}

async function triggerAndWait(): Promise<PollOutcome> {
  const done = nextPoll()
  expect((await trigger()).statusCode).toBe(202)
  return done
}

const getOrder = (ref: string) => t.request({ method: 'GET', url: `/v1/orders/${ref}` })
const Count = z.object({ n: z.coerce.number() })
const countSql = async (sql: string) => (await t.engine.store.query(sql, {}, Count))[0]!.n

describe('order intake from the Marketplace', () => {
  it('HTTP trigger → poll → stored in ClickHouse, with history and windows', async () => {
    const p = mp.addProject({ at: t0(0) })
    const i = mp.addItem(p, { at: t0(1), attributes: { service: 'Intake Cloud', offer: 'Offer-Marker-a81f' }, oms_params: { resource_pid: '21.11170/intake' } })
    mp.setStatus(p, i, 'registered', { at: t0(2) })
    mp.setStatus(p, i, 'ready', { at: t0(9) })
    const outcome = await triggerAndWait()
    expect(outcome).toMatchObject({ ok: true, result: { orders: 1 } })

    const res = await getOrder(`eosc:${p}:${i}`)
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      order_ref: `eosc:${p}:${i}`,
      resource: '21.11170/intake',
      resource_via: 'oms_params',
      service: 'Intake Cloud',
      offer: 'Offer-Marker-a81f',
      order_type: 'order_required',
      status: 'ready',
      created_at: t0(1),
      status_history: [
        { at: t0(1), status: 'created' },
        { at: t0(2), status: 'registered' },
        { at: t0(9), status: 'ready' },
      ],
      active_windows: [{ from: t0(9), to: null }],
      customer_typology: 'research',
      scientific_domains: ['Natural Sciences'],
      owner_known: true,
    })
    expect(await countSql(`SELECT count() AS n FROM orders FINAL WHERE order_ref = 'eosc:${p}:${i}'`)).toBe(1)
  })

  it('authenticates the trigger: shared secret or admin bearer, nothing else', async () => {
    expect((await trigger(null)).statusCode).toBe(401)
    expect((await trigger(`Basic ${Buffer.from('oms:wrong-secret-000000000').toString('base64')}`)).statusCode).toBe(401)
    const provider = await t.token('provider', ['prov-x'])
    expect((await trigger(`Bearer ${provider}`)).statusCode).toBe(403)
    const done = nextPoll()
    const res = await t.engine.app.inject({ method: 'POST', url: '/v1/orders/trigger', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, payload: '' })
    expect(res.statusCode).toBe(202)
    expect(JSON.parse(res.body)).toEqual({ status: 'scheduled' })
    await done
  })

  it('ready → in_progress → ready keeps one window from the first ready', async () => {
    const p = mp.addProject({ at: t0(10) })
    const i = mp.addItem(p, { at: t0(11) })
    mp.setStatus(p, i, 'ready', { at: t0(12) })
    await triggerAndWait()
    mp.setStatus(p, i, 'in_progress', { at: t0(20) })
    mp.setStatus(p, i, 'ready', { at: t0(30) })
    await triggerAndWait()
    const res = await getOrder(`eosc:${p}:${i}`)
    expect(res.body.status_history.map((h: { status: string }) => h.status)).toEqual(['created', 'ready', 'in_progress', 'ready'])
    expect(res.body.active_windows).toEqual([{ from: t0(12), to: null }])
    mp.setStatus(p, i, 'closed', { at: t0(40) })
    await triggerAndWait()
    expect((await getOrder(`eosc:${p}:${i}`)).body.active_windows).toEqual([{ from: t0(12), to: t0(40) }])
  })

  it('25 events in one second with limit 20: all taken', async () => {
    const p = mp.addProject({ at: t0(50) })
    const items = Array.from({ length: 25 }, () => mp.addItem(p, { at: t0(51) }))
    const outcome = await triggerAndWait()
    expect(outcome).toMatchObject({ ok: true, result: { events: 26, orders: 25 } })
    const list = await t.request({ method: 'GET', url: `/v1/orders?limit=1000` })
    const refs = new Set(list.body.rows.map((r: { order_ref: string }) => r.order_ref))
    for (const i of items) expect(refs.has(`eosc:${p}:${i}`)).toBe(true)
  })

  it('the same event page twice changes nothing', async () => {
    const before = await t.request({ method: 'GET', url: '/v1/orders?limit=1000' })
    const versions = await t.engine.store.query('SELECT order_ref, version FROM orders FINAL ORDER BY order_ref', {}, z.object({ order_ref: z.string(), version: z.coerce.number() }))
    // Forget the cursor: the next poll re-reads every page from the start.
    await t.engine.store.command('TRUNCATE TABLE order_cursor')
    const outcome = await triggerAndWait()
    expect(outcome.ok && outcome.result.events).toBeGreaterThan(30)
    const after = await t.request({ method: 'GET', url: '/v1/orders?limit=1000' })
    expect(after.body).toEqual(before.body)
    expect(await t.engine.store.query('SELECT order_ref, version FROM orders FINAL ORDER BY order_ref', {}, z.object({ order_ref: z.string(), version: z.coerce.number() }))).toEqual(versions)
    // And with the cursor in place, a second trigger finds nothing new.
    expect(await triggerAndWait()).toMatchObject({ ok: true, result: { events: 0, orders: 0 } })
  })

  it('a Marketplace down for a while is retried, and nothing is lost', async () => {
    const p = mp.addProject({ at: t0(60) })
    const i = mp.addItem(p, { at: t0(61) })
    mp.failNext(2, { route: 'events' })
    expect(await triggerAndWait()).toMatchObject({ ok: true, result: { orders: 1 } })
    expect((await getOrder(`eosc:${p}:${i}`)).status).toBe(200)
    const metrics = (await t.request({ method: 'GET', url: '/metrics', token: null })).text
    expect(metrics).toMatch(/eosc_am_order_poll_retries_total\{op="list_events"\} [1-9]/)
  })

  it('an outage longer than the retries fails the poll, shows in /readyz and /metrics, and recovers by itself', async () => {
    const p = mp.addProject({ at: t0(70) })
    const i = mp.addItem(p, { at: t0(71) })
    mp.failNext(100_000) // down until cleared: every poll, recovery polls included, fails meanwhile
    const recovered = untilPoll((o) => o.ok)
    expect(await triggerAndWait()).toMatchObject({ ok: false })
    const ready = await t.request({ method: 'GET', url: '/readyz', token: null })
    expect(ready.status).toBe(200) // usage ingest is unaffected by a Marketplace outage
    expect(ready.body.checks).toMatchObject({ marketplace_poll: 'failing', marketplace_last_error: expect.stringContaining('HTTP 503') })
    expect(Number(ready.body.checks.marketplace_consecutive_failures)).toBeGreaterThanOrEqual(1)
    expect((await t.request({ method: 'GET', url: '/metrics', token: null })).text).toMatch(/eosc_am_order_poll_consecutive_failures [1-9]/)

    // No trigger from here on: the failure scheduled recovery polls, one of which succeeds.
    mp.clearFailures()
    expect(await recovered).toMatchObject({ ok: true, result: { orders: 1 } })
    expect((await getOrder(`eosc:${p}:${i}`)).status).toBe(200)
    const after = await t.request({ method: 'GET', url: '/readyz', token: null })
    expect(after.body.checks).toMatchObject({ marketplace_poll: 'ok', marketplace_consecutive_failures: '0' })
    const metrics = (await t.request({ method: 'GET', url: '/metrics', token: null })).text
    expect(metrics).toMatch(/eosc_am_order_polls_total\{outcome="failed"\} [1-9]/)
    expect(metrics).toMatch(/eosc_am_order_poll_triggers_total\{source="recovery"\} [1-9]/)
    expect(metrics).toMatch(/eosc_am_order_poll_consecutive_failures 0/)
    expect(metrics).toMatch(/eosc_am_order_poll_last_success_timestamp_seconds \d+/)
  })
})

describe('direct push', () => {
  it('PUT /v1/orders/{order_ref} stores a project item and merges later pushes', async () => {
    const ref = 'eosc:9000:1'
    const item = { id: 1, project_id: 9000, status: { type: 'ready', value: 'Ready to use' }, attributes: { service: 'Push Cloud', offer: 'Basic', order_type: 'order_required' } }
    const project = { id: 9000, owner: { uid: 'push-owner-uid-3c1d@aai.example.org', email: 'push.owner.3c1d@example.org', name: 'Pushed Owner Name' }, attributes: { name: 'Pushed Project 3c1d', customer_typology: 'project' } }
    const first = await t.request({ method: 'PUT', url: `/v1/orders/${ref}`, body: { ...item, project, observed_at: '2026-03-05T00:00:00Z' } })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ status: 'ready', active_windows: [{ from: '2026-03-05T00:00:00.000Z', to: null }], customer_typology: 'project', owner_known: true })
    const closed = await t.request({ method: 'PUT', url: `/v1/orders/${ref}`, body: { ...item, status: { type: 'closed' }, observed_at: '2026-03-20T00:00:00Z' } })
    expect(closed.status).toBe(200)
    // The first push's owner and facts survive a push without a project.
    expect(closed.body).toMatchObject({
      status: 'closed',
      owner_known: true,
      active_windows: [{ from: '2026-03-05T00:00:00.000Z', to: '2026-03-20T00:00:00.000Z' }],
    })
  })

  it('refuses a body that contradicts its order_ref, or is no project item', async () => {
    const bad = await t.request({ method: 'PUT', url: '/v1/orders/eosc:9001:1', body: { id: 2, project_id: 9001, status: { type: 'ready' } } })
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('INVALID_ORDER')
    const notItem = await t.request({ method: 'PUT', url: '/v1/orders/eosc:9001:1', body: { hello: 'world' } })
    expect(notItem.status).toBe(400)
    const badRef = await t.request({ method: 'PUT', url: '/v1/orders/not-a-ref', body: { id: 1, project_id: 1, status: { type: 'ready' } } })
    expect(badRef.status).toBe(400)
    const future = await t.request({ method: 'PUT', url: '/v1/orders/eosc:9001:1', body: { id: 1, project_id: 9001, status: { type: 'ready' }, observed_at: '2099-01-01T00:00:00Z' } })
    expect(future.status).toBe(400)
    expect((await getOrder('eosc:9001:1')).status).toBe(404)
  })
})

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

describe('privacy', () => {
  it('keeps owner e-mail, names, uid and project details out of every file, log and metric', async () => {
    const p = mp.addProject({
      at: t0(80),
      owner: { uid: 'raw-owner-uid-77ab@aai.example.org', email: 'owner.mail.77ab@example.org', name: 'Ownername Seventyseven', first_name: 'Ownername', last_name: 'Seventyseven' },
      attributes: { name: 'Secret Project 77ab', organization: 'Org-77ab University', department_webpage: 'https://dept-77ab.example.org' },
    })
    mp.addItem(p, { at: t0(81), status: 'ready', attributes: { offer: 'Offer-Marker-77ab' }, user_secrets: { password: 'user-secret-77ab' } })
    await triggerAndWait()
    const files = filesUnder(t.dataDir)
    const holding = (needle: string) => files.filter((f) => readFileSync(f).includes(Buffer.from(needle)))
    // The scan finds what is stored (the offer name is kept) ...
    expect(holding('Offer-Marker-77ab').length).toBeGreaterThan(0)
    // ... and no personal field of this owner, nor the pushed owner's, anywhere.
    const personal = [
      'raw-owner-uid-77ab', 'owner.mail.77ab', 'Ownername', 'Seventyseven', 'Secret Project 77ab', 'Org-77ab', 'dept-77ab', 'user-secret-77ab',
      'push-owner-uid-3c1d', 'push.owner.3c1d', 'Pushed Owner Name', 'Pushed Project 3c1d',
    ]
    for (const needle of personal) expect(holding(needle), needle).toEqual([])
    const metrics = (await t.request({ method: 'GET', url: '/metrics', token: null })).text
    for (const needle of personal) {
      expect(t.logs.join(''), needle).not.toContain(needle)
      expect(metrics, needle).not.toContain(needle)
    }
  })

  it('drops the owner pseudonym of orders closed longer ago than the retention period', async () => {
    const closedAt = new Date(Date.now() - 19 * 31 * 86_400_000).toISOString()
    const item = (status: string) => ({ id: 1, project_id: 9100, status: { type: status }, attributes: { service: 'Old Cloud' } })
    await t.request({ method: 'PUT', url: '/v1/orders/eosc:9100:1', body: { ...item('ready'), project: { id: 9100, owner: { uid: 'old-owner@egi.eu' } }, observed_at: new Date(Date.parse(closedAt) - 86_400_000).toISOString() } })
    await t.request({ method: 'PUT', url: '/v1/orders/eosc:9100:1', body: { ...item('closed'), observed_at: closedAt } })
    await t.request({ method: 'PUT', url: '/v1/orders/eosc:9101:1', body: { id: 1, project_id: 9101, status: { type: 'ready' }, project: { id: 9101, owner: { uid: 'old-open@egi.eu' } }, observed_at: closedAt } })
    await t.engine.store.command('OPTIMIZE TABLE orders FINAL') // TTLs apply on writes and merges
    expect((await getOrder('eosc:9100:1')).body).toMatchObject({ owner_known: false, status: 'closed' })
    // An order still open keeps its owner: its current usage links by it.
    expect((await getOrder('eosc:9101:1')).body.owner_known).toBe(true)
  })
})
