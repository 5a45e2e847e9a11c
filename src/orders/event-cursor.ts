import { createHash } from 'node:crypto'
import type { MarketplaceEvent } from './project-item.schema.js'

/**
 * Where the event stream has been read up to. Marketplace events have no id and whole-second
 * timestamps, while `from_timestamp` is compared with the stored microsecond time, so polling
 * from `timestamp` re-delivers that second's events: `seen` holds the keys of those already
 * stored, and only they (reference §4.2, G6).
 */
export interface EventCursor {
  timestamp: string
  seen: string[]
}

export interface KeyedEvent {
  event: MarketplaceEvent
  key: string
}

/** Only the status type's values enter the hash; every other change contributes its field name. */
const HASHED_VALUES: ReadonlySet<string> = new Set(['status.type', 'status_type'])

/**
 * A content key per event: a hash of what identifies it, plus its rank among identical events of
 * the same second (two identical `user_secrets` updates in one second are two events). Message
 * text and other changed values are left out of the hash so no digest of personal text is kept.
 */
export function keyEvents(events: readonly MarketplaceEvent[]): KeyedEvent[] {
  const occurrences = new Map<string, number>()
  return events.map((event) => {
    const digest = createHash('sha256').update(JSON.stringify(identity(event))).digest('hex').slice(0, 32)
    const n = occurrences.get(digest) ?? 0
    occurrences.set(digest, n + 1)
    return { event, key: `${digest}#${n}` }
  })
}

/** Drops what the cursor says is already stored. */
export function freshEvents(cursor: EventCursor, keyed: readonly KeyedEvent[]): KeyedEvent[] {
  const seen = new Set(cursor.seen)
  return keyed.filter((k) => !(k.event.timestamp === cursor.timestamp && seen.has(k.key)))
}

/**
 * The page size to ask for: the re-delivered events of the cursor's second come first, so asking
 * for `seen.length` more than the page limit always leaves room for new ones — this is how a
 * page full of events sharing one timestamp still advances.
 */
export function requestLimit(cursor: EventCursor, pageLimit: number): number {
  return pageLimit + cursor.seen.length
}

/** The cursor after a page has been stored: its latest second, with every key seen there. */
export function advanceCursor(cursor: EventCursor, page: readonly KeyedEvent[]): EventCursor {
  let last = cursor.timestamp
  for (const k of page) if (Date.parse(k.event.timestamp) > Date.parse(last)) last = k.event.timestamp
  const atLast = page.filter((k) => k.event.timestamp === last).map((k) => k.key)
  const seen = last === cursor.timestamp ? [...new Set([...cursor.seen, ...atLast])] : atLast
  return { timestamp: last, seen }
}

function identity(e: MarketplaceEvent): unknown[] {
  const changes = (e.changes ?? []).map((c) => (HASHED_VALUES.has(c.field) ? [c.field, c.before, c.after] : [c.field]))
  return [e.timestamp, e.type, e.resource, e.project_id ?? null, e.project_item_id ?? null, e.message_id ?? null, changes]
}
