import { z } from 'zod'
import {
  CUSTOMER_TYPOLOGIES,
  ORDER_TYPES,
  STATUS_TYPES,
  type CustomerTypology,
  type OrderState,
  type OrderType,
  type StatusType,
} from './order-types.js'

/**
 * The `orders` table row ↔ `OrderState`. Times travel as epoch milliseconds (written straight into
 * DateTime64(3), read back with toUnixTimestamp64Milli); absent strings are ''.
 */

/** Columns of `orders` read back as an OrderState (`o.` may prefix them in a join). */
export const ORDER_STATE_SELECT = `order_ref, instance, project_id, item_id, status,
  toUnixTimestamp64Milli(created_at) AS created_ms,
  toUnixTimestamp64Milli(first_event_at) AS first_event_ms,
  toUnixTimestamp64Milli(last_event_at) AS last_event_ms,
  arrayMap(c -> (toUnixTimestamp64Milli(c.at), c.from_status, c.to_status), status_changes) AS changes,
  arrayMap(h -> (toUnixTimestamp64Milli(h.at), h.status), status_history) AS history,
  arrayMap(x -> toUnixTimestamp64Milli(x), window_from) AS wfrom,
  arrayMap(x -> if(isNull(x), NULL, toUnixTimestamp64Milli(assumeNotNull(x))), window_to) AS wto,
  order_type, open_access, service_name, offer_name, category, resource_pid, provider_hint,
  owner_pseudo, customer_typology, scientific_domains`

// 64-bit integers may arrive quoted (server) or bare (chDB).
const ms = z.coerce.number()
const msOrNull = z.union([z.null(), ms])

export const OrderStateRow = z.object({
  order_ref: z.string(),
  instance: z.string(),
  project_id: ms,
  item_id: ms,
  status: z.enum(STATUS_TYPES),
  created_ms: msOrNull,
  first_event_ms: msOrNull,
  last_event_ms: msOrNull,
  changes: z.array(z.tuple([ms, z.string(), z.enum(STATUS_TYPES)])),
  history: z.array(z.tuple([ms, z.enum(STATUS_TYPES)])),
  wfrom: z.array(ms),
  wto: z.array(msOrNull),
  order_type: z.string(),
  open_access: ms,
  service_name: z.string(),
  offer_name: z.string(),
  category: z.string(),
  resource_pid: z.string(),
  provider_hint: z.string(),
  owner_pseudo: z.string(),
  customer_typology: z.string(),
  scientific_domains: z.array(z.string()),
})
export type OrderStateRow = z.infer<typeof OrderStateRow>

const iso = (v: number) => new Date(v).toISOString()
const isoOrNull = (v: number | null) => (v === null ? null : iso(v))
const orNull = (s: string) => (s === '' ? null : s)
const isStatus = (s: string): s is StatusType => (STATUS_TYPES as readonly string[]).includes(s)

export function rowToState(r: OrderStateRow): OrderState {
  return {
    order_ref: r.order_ref,
    instance: r.instance,
    project_id: r.project_id,
    item_id: r.item_id,
    status: r.status,
    created_at: isoOrNull(r.created_ms),
    first_event_at: isoOrNull(r.first_event_ms),
    last_event_at: isoOrNull(r.last_event_ms),
    status_changes: r.changes.map(([at, from, to]) => ({ at: iso(at), from: isStatus(from) ? from : null, to })),
    status_history: r.history.map(([at, status]) => ({ at: iso(at), status })),
    active_windows: r.wfrom.map((from, i) => ({ from: iso(from), to: isoOrNull(r.wto[i] ?? null) })),
    order_type: (ORDER_TYPES as readonly string[]).includes(r.order_type) ? (r.order_type as OrderType) : null,
    open_access: r.open_access === 1,
    service_name: orNull(r.service_name),
    offer_name: orNull(r.offer_name),
    category: orNull(r.category),
    resource_pid: orNull(r.resource_pid),
    provider: orNull(r.provider_hint),
    owner_pseudo: orNull(r.owner_pseudo),
    customer_typology: (CUSTOMER_TYPOLOGIES as readonly string[]).includes(r.customer_typology) ? (r.customer_typology as CustomerTypology) : null,
    scientific_domains: r.scientific_domains,
  }
}

const CHANGES_IN_VERSION = 1000

/**
 * The row version, from the source: the latest event time, then the number of status facts. Merges
 * only ever add facts and move `last_event_at` forward, so a merged state always outranks what it
 * was merged from, and a replay (same facts, same time) ties — which replaces a row by its equal.
 */
export function orderVersion(s: OrderState): number {
  const last = s.last_event_at === null ? 0 : Date.parse(s.last_event_at)
  return last * CHANGES_IN_VERSION + Math.min(s.status_changes.length, CHANGES_IN_VERSION - 1)
}

const msOf = (t: string) => Date.parse(t)
const msOrNullOf = (t: string | null) => (t === null ? null : Date.parse(t))

/** One JSONEachRow line for `orders`. */
export function stateToLine(s: OrderState): string {
  return JSON.stringify({
    order_ref: s.order_ref,
    instance: s.instance,
    project_id: s.project_id,
    item_id: s.item_id,
    status: s.status,
    created_at: msOrNullOf(s.created_at),
    first_event_at: msOrNullOf(s.first_event_at),
    last_event_at: msOrNullOf(s.last_event_at),
    status_changes: s.status_changes.map((c) => ({ at: msOf(c.at), from_status: c.from ?? '', to_status: c.to })),
    status_history: s.status_history.map((h) => ({ at: msOf(h.at), status: h.status })),
    window_from: s.active_windows.map((w) => msOf(w.from)),
    window_to: s.active_windows.map((w) => msOrNullOf(w.to)),
    order_type: s.order_type ?? '',
    open_access: s.open_access ? 1 : 0,
    service_name: s.service_name ?? '',
    offer_name: s.offer_name ?? '',
    category: s.category ?? '',
    resource_pid: s.resource_pid ?? '',
    provider_hint: s.provider ?? '',
    owner_pseudo: s.owner_pseudo ?? '',
    customer_typology: s.customer_typology ?? '',
    scientific_domains: s.scientific_domains,
    version: orderVersion(s),
  })
}
