import type { Logger } from 'pino'
import { parseRfc3339 } from '../collectors/rfc3339.js'
import { retry, type RetryOptions } from '../platform/retry.js'
import { advanceCursor, freshEvents, keyEvents, requestLimit, type EventCursor } from './event-cursor.js'
import type { MarketplaceClient } from './marketplace-client.js'
import { mergeOrderStates } from './order-history.js'
import { minimiseProjectItem } from './order-minimise.js'
import { orderRef, type OrderState } from './order-types.js'
import { MarketplaceEvent } from './project-item.schema.js'

/** Where orders and the event cursor live (ClickHouse in production). */
export interface OrderStore {
  getCursor(): Promise<EventCursor | null>
  /** The stored states of these orders; unknown refs are simply absent from the answer. */
  getOrders(orderRefs: readonly string[]): Promise<OrderState[]>
  /** Upserts by `order_ref` (version: `last_event_at`); resolves only once durable. */
  saveOrders(states: readonly OrderState[]): Promise<void>
  saveCursor(cursor: EventCursor): Promise<void>
}

export interface OrderPollerOptions {
  client: MarketplaceClient
  store: OrderStore
  instance: string
  pseudonymise: (id: string, atMs?: number) => string
  logger: Logger
  /** Events per page; large, since one page is one round trip (the Marketplace default is 20). */
  pageLimit?: number
  /** Backoff for every Marketplace and store call; retriable failures only. */
  retry?: Partial<Pick<RetryOptions, 'retries' | 'minMs' | 'maxMs'>>
  /** Where a first poll starts: the beginning, since events are the only source of times. */
  initialTimestamp?: string
  /** Object fetches in flight at once. */
  fetchConcurrency?: number
  /** Told how every poll ended and about every retry (metrics, readiness). Must not throw. */
  observer?: PollObserver
}

export interface PollObserver {
  pollSucceeded?(result: PollResult): void
  /** Not called for a poll cut short by `close()`. */
  pollFailed?(err: unknown): void
  /** `op` is one of a fixed set: get_cursor, list_events, get_project, get_project_item, get_orders, save_orders, save_cursor. */
  retrying?(op: string, err: unknown): void
}

export interface PollProgress {
  cursor: EventCursor
  events: number
  orders: number
}

export interface PollResult {
  pages: number
  /** New events taken (re-deliveries excluded). */
  events: number
  orders: number
  /** Events naming an item that could not be stored (gone, or an unusable payload). */
  skipped: number
}

export interface OrderPoller {
  /** One full poll: every page from the cursor, each stored before the cursor moves past it. */
  pollOnce(onProgress?: (p: PollProgress) => void): Promise<PollResult>
  /**
   * Schedules a poll (the Marketplace trigger, the cron). Triggers arriving before that poll
   * starts share it; one arriving while a poll runs gets the next one. Never rejects: a failed
   * poll is logged and the next trigger resumes from the stored cursor.
   */
  trigger(): Promise<void>
  /** Stops accepting triggers, cancels backoff waits, and waits for the poll under way to end. */
  close(): Promise<void>
}

const DEFAULT_PAGE_LIMIT = 100
const DEFAULT_CONCURRENCY = 4
const EPOCH = '1970-01-01T00:00:00.000Z'
const DEFAULT_RETRY = { retries: 5, minMs: 500, maxMs: 30_000 }

interface ItemEvents {
  projectId: number
  itemId: number
  events: MarketplaceEvent[]
}

export function createOrderPoller(opts: OrderPollerOptions): OrderPoller {
  const { client, store, instance, pseudonymise, logger } = opts
  const pageLimit = opts.pageLimit ?? DEFAULT_PAGE_LIMIT
  const concurrency = opts.fetchConcurrency ?? DEFAULT_CONCURRENCY
  const policy = { ...DEFAULT_RETRY, ...opts.retry }
  const stopping = new AbortController()
  const initial = canonicalTime(opts.initialTimestamp ?? EPOCH)

  const withRetry = <T>(op: string, fn: () => Promise<T>) =>
    retry(fn, {
      ...policy,
      signal: stopping.signal,
      onRetry: (err, attempt, waitMs) => {
        logger.warn({ op, attempt, wait_ms: waitMs, err: describe(err) }, 'order poll: retrying')
        opts.observer?.retrying?.(op.replaceAll(' ', '_'), err)
      },
    })

  async function observedPoll(onProgress?: (p: PollProgress) => void): Promise<PollResult> {
    try {
      const result = await poll(onProgress)
      opts.observer?.pollSucceeded?.(result)
      return result
    } catch (err) {
      if (!stopping.signal.aborted) opts.observer?.pollFailed?.(err)
      throw err
    }
  }

  async function poll(onProgress?: (p: PollProgress) => void): Promise<PollResult> {
    const result: PollResult = { pages: 0, events: 0, orders: 0, skipped: 0 }
    // Projects cannot change through the API and emit no update events: one fetch per poll is enough.
    const projects = new Map<number, Promise<unknown>>()
    let cursor = (await withRetry('get cursor', () => store.getCursor())) ?? { timestamp: initial, seen: [] }
    for (;;) {
      const limit = requestLimit(cursor, pageLimit)
      const from = cursor.timestamp
      const raw = await withRetry('list events', () => client.listEvents(from, limit))
      result.pages++
      const keyed = keyEvents(raw.flatMap(parseEvent))
      const fresh = freshEvents(cursor, keyed)
      if (fresh.length > 0) {
        const { states, skipped } = await collectStates(fresh.map((k) => k.event), projects)
        // The cursor moves only once the orders it passes are durable.
        if (states.length > 0) await withRetry('save orders', () => store.saveOrders(states))
        const next = advanceCursor(cursor, keyed)
        await withRetry('save cursor', () => store.saveCursor(next))
        cursor = next
        result.events += fresh.length
        result.orders += states.length
        result.skipped += skipped
        onProgress?.({ cursor, events: fresh.length, orders: states.length })
      }
      if (raw.length < limit) break
      if (fresh.length === 0) {
        // Only possible if the Marketplace caps `limit` below one second's worth of events.
        logger.error({ cursor: cursor.timestamp, limit }, 'order poll: a full page held no new event; cannot advance')
        break
      }
    }
    if (result.events > 0) logger.info({ ...result, cursor: cursor.timestamp }, 'order poll: stored')
    return result
  }

  function parseEvent(raw: unknown): MarketplaceEvent[] {
    const parsed = MarketplaceEvent.safeParse(raw)
    if (parsed.success) return [parsed.data]
    logger.warn({ issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'order poll: unusable event skipped')
    return []
  }

  /** Fetches every item the events name (projects and messages carry no order change). */
  async function collectStates(events: readonly MarketplaceEvent[], projects: Map<number, Promise<unknown>>) {
    const byItem = new Map<string, ItemEvents>()
    for (const e of events) {
      if (e.resource !== 'project_item' || e.project_id == null || e.project_item_id == null) continue
      const ref = orderRef(instance, e.project_id, e.project_item_id)
      const entry = byItem.get(ref) ?? { projectId: e.project_id, itemId: e.project_item_id, events: [] }
      entry.events.push(e)
      byItem.set(ref, entry)
    }
    const projectOf = (id: number) => {
      let p = projects.get(id)
      if (!p) {
        p = withRetry('get project', () => client.getProject(id))
        projects.set(id, p)
      }
      return p
    }

    let skipped = 0
    const fetched = await mapConcurrently([...byItem.entries()], concurrency, async ([ref, g]) => {
      const item = await withRetry('get project item', () => client.getProjectItem(g.projectId, g.itemId))
      if (item === null) {
        logger.warn({ order_ref: ref }, 'order poll: project item no longer visible; skipped')
        skipped += g.events.length
        return null
      }
      const project = await projectOf(g.projectId)
      if (project === null) logger.warn({ order_ref: ref }, 'order poll: project not visible; owner unknown')
      const out = minimiseProjectItem(item, { instance, pseudonymise, project, events: g.events })
      if (!out.ok) {
        logger.warn({ order_ref: ref, errors: out.errors }, 'order poll: unusable project item skipped')
        skipped += g.events.length
        return null
      }
      return out.row
    })
    const found = fetched.filter((s): s is OrderState => s !== null)
    if (found.length === 0) return { states: [], skipped }
    const stored = await withRetry('get orders', () => store.getOrders(found.map((s) => s.order_ref)))
    const previous = new Map(stored.map((s) => [s.order_ref, s]))
    return { states: found.map((s) => mergeOrderStates(previous.get(s.order_ref), s)), skipped }
  }

  // Polls run one at a time: two at once would read the same cursor and race to move it.
  let tail: Promise<unknown> = Promise.resolve()
  let queued: Promise<void> | null = null
  let closed = false

  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn)
    tail = run.catch(() => undefined)
    return run
  }

  return {
    pollOnce: (onProgress) => exclusive(() => observedPoll(onProgress)),
    trigger() {
      if (closed) return Promise.resolve()
      if (queued) return queued
      const run = exclusive(async () => {
        // From here on this poll may already be past what a new trigger announces.
        queued = null
        try {
          await observedPoll()
        } catch (err) {
          if (stopping.signal.aborted) logger.info('order poll stopped by close')
          else logger.error({ err: describe(err) }, 'order poll failed; the next trigger resumes from the stored cursor')
        }
      })
      queued = run
      return run
    },
    async close() {
      closed = true
      stopping.abort()
      await tail
    },
  }
}

function canonicalTime(text: string): string {
  const ms = parseRfc3339(text)
  if (ms === null) throw new Error(`initialTimestamp must be RFC 3339, got ${text}`)
  return new Date(ms).toISOString()
}

/** Error code and message only: causes may carry request details, bodies are never included. */
function describe(err: unknown): { code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' ? { code, message: err.message } : { message: err.message }
  }
  return { message: String(err) }
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
