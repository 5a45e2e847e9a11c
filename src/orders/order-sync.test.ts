import cron from 'node-cron'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeMarketplace, type FakeMarketplace } from '../../test/support/fake-marketplace/fake-marketplace.js'
import { createMetrics } from '../platform/metrics.js'
import type { EventCursor } from './event-cursor.js'
import { createMarketplaceClient } from './marketplace-client.js'
import type { OrderStore } from './order-poller.js'
import { createOrderSync, readinessDetail, type OrderSync, type PollOutcome } from './order-sync.js'
import type { OrderState } from './order-types.js'

class MemoryOrderStore implements OrderStore {
  readonly orders = new Map<string, OrderState>()
  cursor: EventCursor | null = null
  async getCursor() {
    return this.cursor && structuredClone(this.cursor)
  }
  async getOrders(refs: readonly string[]) {
    return refs.flatMap((r) => (this.orders.has(r) ? [structuredClone(this.orders.get(r)!)] : []))
  }
  async saveOrders(states: readonly OrderState[]) {
    for (const s of states) this.orders.set(s.order_ref, structuredClone(s))
  }
  async saveCursor(cursor: EventCursor) {
    this.cursor = structuredClone(cursor)
  }
}

let mp: FakeMarketplace
let store: MemoryOrderStore
let sync: OrderSync | undefined
const metrics = () => createMetrics(new Registry())

function make(over: { cron?: string; metrics?: ReturnType<typeof createMetrics> } = {}): OrderSync {
  sync = createOrderSync({
    client: createMarketplaceClient({ baseUrl: mp.url, omsId: mp.omsId, token: mp.token, timeoutMs: 2_000 }),
    store,
    instance: 'eosc',
    pseudonymise: (id) => `u_${id.length}`,
    logger: pino({ level: 'silent' }),
    metrics: over.metrics ?? metrics(),
    recovery: { minMs: 5, maxMs: 20 },
    poller: { pageLimit: 20, retry: { retries: 1, minMs: 1, maxMs: 2 } },
    ...(over.cron ? { cron: over.cron } : {}),
  })
  return sync
}

const next = (s: OrderSync, match: (o: PollOutcome) => boolean = () => true) =>
  new Promise<PollOutcome>((resolve) => {
    const off = s.onPoll((o) => {
      if (match(o)) {
        off()
        resolve(o)
      }
    })
  })

beforeEach(async () => {
  mp = await startFakeMarketplace()
  store = new MemoryOrderStore()
})
afterEach(async () => {
  await sync?.close()
  sync = undefined
  await mp.close()
})

describe('order sync', () => {
  it('polls on its cron schedule without any trigger', async () => {
    const m = metrics()
    const p = mp.addProject()
    mp.addItem(p)
    const s = make({ cron: '* * * * * *', metrics: m }) // every second
    expect(await next(s)).toMatchObject({ ok: true, result: { orders: 1 } })
    expect(await m.registry.getSingleMetricAsString('eosc_am_order_poll_triggers_total')).toMatch(/source="cron"\} [1-9]/)
  })

  it('close stops the schedule and removes the cron task', async () => {
    const before = cron.getTasks().size
    const s = make({ cron: '* * * * * *' })
    expect(cron.getTasks().size).toBe(before + 1)
    await s.close()
    expect(cron.getTasks().size).toBe(before)
    await s.trigger('http') // a no-op after close
    expect(mp.requestCount()).toBe(0)
  })

  it('after a failed poll, recovers on its own with backoff and reports its state', async () => {
    const s = make()
    expect(readinessDetail(s)).toEqual({ marketplace_poll: 'idle', marketplace_last_success: 'never', marketplace_consecutive_failures: '0' })
    const p = mp.addProject()
    mp.addItem(p)
    mp.failNext(2) // the poll's two attempts fail; the recovery poll succeeds
    const recovered = next(s, (o) => o.ok)
    await s.trigger('http')
    expect(s.health()).toMatchObject({ state: 'failing', consecutiveFailures: 1, lastError: expect.stringContaining('HTTP 503') })
    expect(await recovered).toMatchObject({ ok: true, result: { orders: 1 } })
    expect(s.health()).toMatchObject({ state: 'ok', consecutiveFailures: 0, lastError: null })
    expect(readinessDetail(null)).toEqual({ marketplace_poll: 'not configured' })
  })
})
