import { z } from 'zod'
import { daysInMonth } from '../collectors/rfc3339.js'
import { ProjectItemPayload } from './project-item.schema.js'
import type { OrderView } from './order-queries.js'
import { STATUS_TYPES } from './order-types.js'

/**
 * Request and response schemas of the orders API. The response schemas are the last guard: the
 * owner pseudonym and anything else not listed here never leave.
 */

/** `<instance>:<project_id>:<item_id>`, as the engine keys orders. */
export const ORDER_REF = /^([A-Za-z0-9_-]{1,64}):(\d{1,15}):(\d{1,15})$/
export const OrderRefParam = z.object({ order_ref: z.string().regex(ORDER_REF, 'must be <instance>:<project_id>:<item_id>') })

export const OrderOut = z.object({
  order_ref: z.string(),
  instance: z.string(),
  project_id: z.number().int(),
  item_id: z.number().int(),
  resource: z.string().nullable(),
  resource_via: z.enum(['oms_params', 'alias', 'unresolved']),
  provider: z.string().nullable(),
  service: z.string().nullable(),
  offer: z.string().nullable(),
  category: z.string().nullable(),
  order_type: z.string().nullable(),
  open_access: z.boolean(),
  status: z.enum(STATUS_TYPES),
  created_at: z.string().nullable(),
  last_event_at: z.string().nullable(),
  status_history: z.array(z.object({ at: z.string(), status: z.enum(STATUS_TYPES) })),
  active_windows: z.array(z.object({ from: z.string(), to: z.string().nullable() })),
  customer_typology: z.string().nullable(),
  scientific_domains: z.array(z.string()),
  /** Whether usage can link by owner (`user_resource_window`); the pseudonym itself is not shown. */
  owner_known: z.boolean(),
})
export type OrderOut = z.infer<typeof OrderOut>

export function toOrderOut(v: OrderView): OrderOut {
  const s = v.state
  return {
    order_ref: s.order_ref,
    instance: s.instance,
    project_id: s.project_id,
    item_id: s.item_id,
    resource: v.resolved.resource,
    resource_via: v.resolved.via,
    provider: v.resolved.provider,
    service: s.service_name,
    offer: s.offer_name,
    category: s.category,
    order_type: s.order_type,
    open_access: s.open_access,
    status: s.status,
    created_at: s.created_at,
    last_event_at: s.last_event_at,
    status_history: s.status_history,
    active_windows: s.active_windows,
    customer_typology: s.customer_typology,
    scientific_domains: s.scientific_domains,
    owner_known: s.owner_pseudo !== null,
  }
}

/** Flat columns for `format=csv` lists. */
export const ORDER_CSV_COLUMNS = [
  'order_ref', 'resource', 'provider', 'status', 'order_type', 'service', 'offer', 'created_at', 'active_from', 'active_to', 'customer_typology',
] as const

export function orderCsvRow(o: OrderOut): Record<string, unknown> {
  const last = o.active_windows.at(-1)
  return { ...o, active_from: o.active_windows[0]?.from ?? null, active_to: last ? (last.to ?? 'open') : null }
}

/**
 * A direct push: the Marketplace project item JSON as the Ordering API serves it, optionally with
 * its `project` (for the owner, pseudonymised, and typology/domains) and `observed_at` (when the
 * status was seen; default now). Fields not listed are accepted and ignored — never stored.
 */
export const OrderPushBody = z.looseObject({
  ...ProjectItemPayload.shape,
  project: z.looseObject({ id: z.number().int().nonnegative() }).optional(),
  observed_at: z.string().max(40).optional(),
})

const DAY_OR_MONTH = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/

/** `YYYY-MM` or `YYYY-MM-DD` as [start, end) epoch ms: a month covers the month, a day the day. */
export function dayOrMonthRange(text: string): { from: number; to: number } | null {
  const m = DAY_OR_MONTH.exec(text)
  if (!m) return null
  const y = Number(m[1])
  const mo = Number(m[2])
  if (y < 1970 || y > 2199 || mo < 1 || mo > 12) return null
  if (m[3] === undefined) return { from: Date.UTC(y, mo - 1, 1), to: Date.UTC(y, mo, 1) }
  const d = Number(m[3])
  if (d < 1 || d > daysInMonth(y, mo)) return null
  return { from: Date.UTC(y, mo - 1, d), to: Date.UTC(y, mo - 1, d + 1) }
}

export const DayOrMonth = z.string().refine((s) => dayOrMonthRange(s) !== null, 'must be YYYY-MM or YYYY-MM-DD with a real date')

/** `from`/`to` query pair → [from, to) epoch ms; `to` is inclusive of its day or month. */
export function rangeOf(q: { from?: string; to?: string }): { from?: number; to?: number } {
  return {
    ...(q.from ? { from: dayOrMonthRange(q.from)!.from } : {}),
    ...(q.to ? { to: dayOrMonthRange(q.to)!.to } : {}),
  }
}

export const csvList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(1).max(512)).max(100))
