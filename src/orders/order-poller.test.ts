import { createHmac } from 'node:crypto'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeMarketplace, type FakeMarketplace } from '../../test/support/fake-marketplace/fake-marketplace.js'
import { InfraError } from '../platform/errors.js'
import type { EventCursor } from './event-cursor.js'
import { createMarketplaceClient } from './marketplace-client.js'
import { createOrderPoller, type OrderPoller, type OrderPollerOptions, type OrderStore } from './order-poller.js'
import type { OrderState } from './order-types.js'

const pseudonymise = (id: string) => 'u_' + createHmac('sha256', Buffer.alloc(32, 3)).update(id).digest('base64url')
const t = (s: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, s)).toISOString()

/** The storage port in memory; copies in and out, like a real store. */
class MemoryOrderStore implements OrderStore {
  readonly orders = new Map<string, OrderState>()
  cursor: EventCursor | null = null
  saves = 0
  async getCursor() {
    return this.cursor && structuredClone(this.cursor)
  }
  async getOrders(refs: readonly string[]) {
    return refs.flatMap((r) => {
      const s = this.orders.get(r)
      return s ? [structuredClone(s)] : []
    })
  }
  async saveOrders(states: readonly OrderState[]) {
    this.saves++
    for (const s of states) this.orders.set(s.order_ref, structuredClone(s))
  }
  async saveCursor(cursor: EventCursor) {
    this.cursor = structuredClone(cursor)
  }
  snapshot() {
    return structuredClone([...this.orders.values()])
  }
}

let mp: FakeMarketplace
let store: MemoryOrderStore
let logs: string[]
let poller: OrderPoller

function makePoller(over: Partial<OrderPollerOptions> = {}): OrderPoller {
  return createOrderPoller({
    client: createMarketplaceClient({ baseUrl: mp.url, omsId: mp.omsId, token: mp.token, timeoutMs: 2_000 }),
    store,
    instance: 'eosc',
    pseudonymise,
    logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    pageLimit: 20,
    retry: { retries: 3, minMs: 1, maxMs: 5 }, // 4 attempts
    ...over,
  })
}

beforeEach(async () => {
  mp = await startFakeMarketplace()
  store = new MemoryOrderStore()
  logs = []
  poller = makePoller()
})
afterEach(async () => {
  await poller.close()
  await mp.close()
})

describe('order poller', () => {
  it('trigger → poll → stored', async () => {
    const p = mp.addProject({ at: t(0) })
    const i = mp.addItem(p, { at: t(1) })
    mp.setStatus(p, i, 'registered', { at: t(2) })
    mp.setStatus(p, i, 'ready', { at: t(9) })
    await poller.trigger()
    const order = store.orders.get(`eosc:${p}:${i}`)
    expect(order).toMatchObject({
      status: 'ready',
      created_at: t(1),
      status_history: [
        { at: t(1), status: 'created' },
        { at: t(2), status: 'registered' },
        { at: t(9), status: 'ready' },
      ],
      active_windows: [{ from: t(9), to: null }],
      owner_pseudo: pseudonymise(`owner-${p}@aai.example.org`),
    })
    expect(store.cursor?.timestamp).toBe(t(9))
  })

  it('a later poll adds the new transitions: ready → in_progress → ready gives one window from the first ready', async () => {
    const p = mp.addProject({ at: t(0) })
    const i = mp.addItem(p, { at: t(1) })
    mp.setStatus(p, i, 'ready', { at: t(5) })
    await poller.pollOnce()
    mp.setStatus(p, i, 'in_progress', { at: t(20) })
    await poller.pollOnce()
    mp.setStatus(p, i, 'ready', { at: t(30) })
    await poller.pollOnce()
    const order = store.orders.get(`eosc:${p}:${i}`)
    expect(order?.status_history.map((e) => e.status)).toEqual(['created', 'ready', 'in_progress', 'ready'])
    expect(order?.active_windows).toEqual([{ from: t(5), to: null }])
    mp.setStatus(p, i, 'closed', { at: t(40) })
    await poller.pollOnce()
    expect(store.orders.get(`eosc:${p}:${i}`)?.active_windows).toEqual([{ from: t(5), to: t(40) }])
  })

  it('the same event page twice changes nothing', async () => {
    const p = mp.addProject({ at: t(0) })
    for (let k = 0; k < 3; k++) mp.addItem(p, { at: t(1) })
    mp.setStatus(p, 2, 'ready', { at: t(3) })
    const first = await poller.pollOnce()
    expect(first).toMatchObject({ events: 5, orders: 3, skipped: 0 })
    const before = store.snapshot()
    const cursor = structuredClone(store.cursor)
    const saves = store.saves

    // Polling again re-delivers the events of the cursor's second: all recognised as seen.
    expect(await poller.pollOnce()).toMatchObject({ events: 0, orders: 0 })
    expect(store.saves).toBe(saves)
    expect(store.cursor).toEqual(cursor)

    // A crash after the orders were stored but before the cursor was: the whole page again.
    store.cursor = null
    await poller.pollOnce()
    expect(store.snapshot()).toEqual(before)
    expect(store.cursor).toEqual(cursor)
  })

  it('25 events in one second with limit 20: all taken', async () => {
    const p = mp.addProject({ at: t(0) })
    for (let k = 0; k < 25; k++) mp.addItem(p, { at: t(7) })
    const result = await poller.pollOnce()
    expect(result.events).toBe(26)
    expect(store.orders.size).toBe(25)
    expect(store.cursor?.timestamp).toBe(t(7))
    expect(store.cursor?.seen).toHaveLength(25)
    expect(mp.requestCount('events')).toBeLessThanOrEqual(3)

    // and a later poll in the same second, with more events there, still advances
    for (let k = 0; k < 25; k++) mp.addItem(p, { at: t(7) })
    await poller.pollOnce()
    expect(store.orders.size).toBe(50)
  })

  it('a Marketplace down for a while is retried and nothing is lost', async () => {
    const p = mp.addProject({ at: t(0) })
    for (let k = 0; k < 3; k++) mp.addItem(p, { at: t(1 + k) })
    mp.failNext(3)
    const result = await poller.pollOnce()
    expect(result.orders).toBe(3)
    expect(store.orders.size).toBe(3)
    expect(logs.some((l) => l.includes('order poll: retrying'))).toBe(true)
  })

  it('an outage longer than the retries fails the poll after the stored pages; the next poll resumes there', async () => {
    const p = mp.addProject({ at: t(0) })
    for (let k = 0; k < 30; k++) mp.addItem(p, { at: t(1 + k) })
    const small = makePoller({ pageLimit: 10 })
    let pages = 0
    await expect(
      small.pollOnce(() => {
        if (++pages === 1) mp.failNext(4) // exactly the retry budget, from the second page on
      }),
    ).rejects.toMatchObject({ retriable: true })
    expect(store.cursor?.timestamp).toBe(t(9))
    expect(store.orders.size).toBe(9)
    await small.pollOnce()
    expect(store.orders.size).toBe(30)
    expect(store.cursor?.timestamp).toBe(t(30))
    await small.close()
  })

  it('moves the cursor only after the orders are stored', async () => {
    const p = mp.addProject({ at: t(0) })
    mp.addItem(p, { at: t(1) })
    const save = store.saveOrders.bind(store)
    let failures = 0
    store.saveOrders = async (states) => {
      if (failures++ < 1) throw new InfraError('STORE_UNAVAILABLE', 'down', { retriable: true })
      return save(states)
    }
    await poller.pollOnce()
    expect(store.orders.size).toBe(1)

    mp.addItem(p, { at: t(2) })
    store.saveOrders = async () => {
      throw new InfraError('STORE_BROKEN', 'schema mismatch', { retriable: false })
    }
    const cursor = structuredClone(store.cursor)
    await expect(poller.pollOnce()).rejects.toMatchObject({ code: 'STORE_BROKEN' })
    expect(store.cursor).toEqual(cursor)
    store.saveOrders = save
    await poller.pollOnce()
    expect(store.orders.size).toBe(2)
  })

  it('stores no personal data and logs none', async () => {
    const personal = {
      uid: 'b7e1c2d3@aai.eosc-portal.eu',
      email: 'jan.nowak@uni.example.pl',
      name: 'Jan Nowak',
      first: 'Janusz',
      last: 'Nowakowski',
      project: 'Nowak family genome study',
      organization: 'Nowak Institute of Genomics',
      department: 'Nowak Sequencing Unit',
      webpage: 'https://nowak.example.pl',
      group: 'Nowak lab',
      secret: 'nowak_private_key',
      message: 'Hello, this is Jan, my phone is 555-0100',
    }
    const p = mp.addProject({
      at: t(0),
      owner: { uid: personal.uid, email: personal.email, name: personal.name, first_name: personal.first, last_name: personal.last },
      attributes: { name: personal.project, organization: personal.organization, department: personal.department, department_webpage: personal.webpage, user_group_name: personal.group },
    })
    const i = mp.addItem(p, { at: t(1), user_secrets: { [personal.secret]: 'x' }, statusValue: 'awaiting Jan Nowak' })
    mp.emitEvent({ at: t(2), type: 'create', resource: 'message', project_id: p, project_item_id: i, message_id: 1 })
    mp.emitEvent({ at: t(3), type: 'update', resource: 'message', project_id: p, message_id: 1, changes: [{ field: 'content', before: 'x', after: personal.message }] })
    mp.setStatus(p, i, 'ready', { at: t(4), value: 'ready for Jan Nowak' })
    await poller.pollOnce()

    const stored = JSON.stringify([...store.orders.values(), store.cursor]).toLowerCase()
    const logged = logs.join('\n').toLowerCase()
    for (const [field, value] of Object.entries(personal)) {
      expect(stored.includes(value.toLowerCase()), `${field} stored`).toBe(false)
      expect(logged.includes(value.toLowerCase()), `${field} logged`).toBe(false)
    }
    expect(stored).not.toContain('nowak')
    expect(store.orders.get(`eosc:${p}:${i}`)?.owner_pseudo).toBe(pseudonymise(personal.uid))
  })

  it('skips an event whose item vanished, and still advances', async () => {
    const p = mp.addProject({ at: t(0) })
    mp.emitEvent({ at: t(1), type: 'update', resource: 'project_item', project_id: p, project_item_id: 42, changes: [] })
    const i = mp.addItem(p, { at: t(2) })
    expect(await poller.pollOnce()).toMatchObject({ orders: 1, skipped: 1 })
    expect([...store.orders.keys()]).toEqual([`eosc:${p}:${i}`])
    expect(store.cursor?.timestamp).toBe(t(2))
  })

  it('coalesces triggers: those before the poll starts share it, one during a poll gets another', async () => {
    mp.addItem(mp.addProject({ at: t(0) }), { at: t(1) })
    const runs = [poller.trigger(), poller.trigger(), poller.trigger()]
    expect(runs[1]).toBe(runs[0])
    await Promise.all(runs)
    expect(mp.requestCount('events')).toBe(1)

    // Hold the next poll inside the store so a trigger arrives while it runs.
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const getCursor = store.getCursor.bind(store)
    let entered!: () => void
    const inPoll = new Promise<void>((r) => (entered = r))
    store.getCursor = async () => {
      entered()
      await held
      return getCursor()
    }
    const running = poller.trigger()
    await inPoll
    const next = poller.trigger()
    expect(next).not.toBe(running)
    release()
    await Promise.all([running, next])
    expect(mp.requestCount('events')).toBe(3)
  })

  it('a failed triggered poll is logged, not thrown, and the next trigger catches up', async () => {
    mp.addItem(mp.addProject({ at: t(0) }), { at: t(1) })
    mp.failNext(4)
    await expect(poller.trigger()).resolves.toBeUndefined()
    expect(logs.some((l) => l.includes('order poll failed'))).toBe(true)
    expect(store.orders.size).toBe(0)
    await poller.trigger()
    expect(store.orders.size).toBe(1)
  })

  it('close cancels a poll waiting out a long outage', async () => {
    mp.addItem(mp.addProject({ at: t(0) }), { at: t(1) })
    mp.failNext(100)
    let waiting!: () => void
    const retrying = new Promise<void>((r) => (waiting = r))
    const patient = makePoller({
      retry: { retries: 50, minMs: 60_000, maxMs: 60_000 },
      logger: pino({ level: 'debug' }, { write: (line: string) => void (line.includes('retrying') && waiting()) }),
    })
    const run = patient.trigger()
    await retrying
    const started = Date.now()
    await patient.close()
    await run
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(store.cursor).toBeNull()
  })

  it('after close, triggers no longer poll', async () => {
    await poller.close()
    await poller.trigger()
    expect(mp.requestCount()).toBe(0)
  })
})
