import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'
import type { EventCursor } from './event-cursor.js'
import { mergeOrderStates } from './order-history.js'
import type { OrderStore } from './order-poller.js'
import { ORDER_STATE_SELECT, OrderStateRow, rowToState, stateToLine } from './order-row.js'
import type { OrderState } from './order-types.js'

export interface ClickHouseOrderStore extends OrderStore {
  /**
   * Upserts by `order_ref`, merging with what is stored at write time: the poller and a direct push
   * may both be working on one order, and facts (status changes) must survive either order of writes.
   */
  saveOrders(states: readonly OrderState[]): Promise<void>
}

const CursorRow = z.object({ ts: z.coerce.number(), seen: z.array(z.string()) })
const SEEN_IN_VERSION = 1000

/**
 * The orders and the event cursor in ClickHouse (`orders`, `order_cursor`, migration 0003).
 * `source` keys the cursor: one per Marketplace instance and OMS, so re-pointing the engine at
 * another OMS starts that stream from its beginning instead of from a foreign position.
 */
export function createClickHouseOrderStore(store: Store, opts: { source: string }): ClickHouseOrderStore {
  // Read-merge-write runs one at a time in this process; the version rule keeps other processes safe.
  let tail: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn)
    tail = run.catch(() => undefined)
    return run
  }

  async function getOrders(refs: readonly string[]): Promise<OrderState[]> {
    if (refs.length === 0) return []
    const rows = await store.query(
      `SELECT ${ORDER_STATE_SELECT} FROM orders FINAL WHERE order_ref IN {refs:Array(String)}`,
      { refs: [...new Set(refs)] },
      OrderStateRow,
    )
    return rows.map(rowToState)
  }

  return {
    async getCursor() {
      const rows = await store.query(
        `SELECT toUnixTimestamp64Milli(timestamp) AS ts, seen FROM order_cursor FINAL WHERE source = {source:String}`,
        { source: opts.source },
        CursorRow,
      )
      const r = rows[0]
      return r ? { timestamp: new Date(r.ts).toISOString(), seen: r.seen } : null
    },

    getOrders,

    saveOrders(states) {
      return exclusive(async () => {
        if (states.length === 0) return
        const stored = new Map((await getOrders(states.map((s) => s.order_ref))).map((s) => [s.order_ref, s]))
        const merged = new Map<string, OrderState>()
        for (const s of states) merged.set(s.order_ref, mergeOrderStates(merged.get(s.order_ref) ?? stored.get(s.order_ref), s))
        await store.insertNdjson('orders', [...merged.values()].map(stateToLine).join('\n'))
      })
    },

    async saveCursor(cursor: EventCursor) {
      const ms = Date.parse(cursor.timestamp)
      // The cursor only moves forward: a later second, or more events seen within the same one.
      const version = ms * SEEN_IN_VERSION + Math.min(cursor.seen.length, SEEN_IN_VERSION - 1)
      await store.insertNdjson('order_cursor', JSON.stringify({ source: opts.source, timestamp: ms, seen: cursor.seen, version }))
    },
  }
}
