/**
 * What the engine keeps about one Marketplace order line (project item). Only non-personal fields
 * and the owner's pseudonym survive intake (reference/orders-and-privacy.md §7.2.3, Part B #7).
 */

export const STATUS_TYPES = [
  'created',
  'registered',
  'in_progress',
  'waiting_for_response',
  'approved',
  'ready',
  'rejected',
  'closed',
] as const
export type StatusType = (typeof STATUS_TYPES)[number]

export const ORDER_TYPES = ['open_access', 'fully_open_access', 'order_required', 'other'] as const
export type OrderType = (typeof ORDER_TYPES)[number]

/** Items of these offers are saved `ready` at creation and need no order handling. */
export const OPEN_ACCESS_TYPES: readonly OrderType[] = ['open_access', 'fully_open_access']

export const CUSTOMER_TYPOLOGIES = ['single_user', 'research', 'private_company', 'project'] as const
export type CustomerTypology = (typeof CUSTOMER_TYPOLOGIES)[number]

/**
 * A status fact learnt from the event stream: `from → to` at `at` (an `update` event whose
 * `changes` name `status.type`). `from: null` is an observation without a known predecessor
 * (direct push). Facts are a set: replays add nothing.
 */
export interface StatusChange {
  at: string
  from: StatusType | null
  to: StatusType
}

/** One step of the effective history: the item had `status` from `at` on. */
export interface StatusEntry {
  at: string
  status: StatusType
}

/** `[from, to)`; `to: null` while the order is still active. RFC 3339 UTC. */
export interface ActiveWindow {
  from: string
  to: string | null
}

export interface OrderState {
  /** `<instance>:<project_id>:<item_id>` — the natural key. */
  order_ref: string
  instance: string
  project_id: number
  /** The Marketplace's per-project counter (`iid`), exposed by the API as the item `id`. */
  item_id: number
  /** Current `status.type` as last fetched. The free-text `status.value` is not kept. */
  status: StatusType
  /** Time of the item's `create` event; null when the engine never saw it. */
  created_at: string | null
  /** Earliest and latest event applied to this item; `last_event_at` is the row version. */
  first_event_at: string | null
  last_event_at: string | null
  /** Facts (stored, merged as a set) … */
  status_changes: StatusChange[]
  /** … and what is derived from them on every merge. */
  status_history: StatusEntry[]
  active_windows: ActiveWindow[]
  order_type: OrderType | null
  open_access: boolean
  /** Resource hints: the item payload carries names, not ids (reference §2.2, G1). */
  service_name: string | null
  offer_name: string | null
  category: string | null
  /** `oms_params.resource_pid` / `oms_params.provider` when the offer defines them. */
  resource_pid: string | null
  provider: string | null
  /** HMAC pseudonym of the project owner's AAI subject (same key as usage users). */
  owner_pseudo: string | null
  customer_typology: CustomerTypology | null
  scientific_domains: string[]
}

export function orderRef(instance: string, projectId: number, itemId: number): string {
  return `${instance}:${projectId}:${itemId}`
}
