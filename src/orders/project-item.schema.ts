import { z } from 'zod'
import { parseRfc3339 } from '../collectors/rfc3339.js'
import { CUSTOMER_TYPOLOGIES, ORDER_TYPES, STATUS_TYPES } from './order-types.js'

/**
 * The Ordering API payloads as the Marketplace serialises them (swagger/v1 `project_read`,
 * `project_item_read`, `event_read`; reference/orders-and-privacy.md §2). Unknown fields are
 * stripped, not refused: the API grows. Only the identity and `status.type` are required;
 * a descriptive field of an unexpected type becomes null instead of losing the whole order.
 * Personal fields are deliberately not declared, so parsing already drops them.
 */

const id = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const text = z.string().min(1).max(1024).nullish().catch(null)

/** Event timestamps arrive as whole-second ISO 8601; kept as canonical `toISOString()` UTC. */
const instant = z.string().transform((s, ctx) => {
  const ms = parseRfc3339(s)
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 timestamp with offset' })
    return z.NEVER
  }
  return new Date(ms).toISOString()
})

const StatusTypeSchema = z.enum(STATUS_TYPES)

export const ProjectItemPayload = z.object({
  id,
  project_id: id,
  status: z.object({ type: StatusTypeSchema }),
  attributes: z
    .object({
      category: text,
      service: text,
      offer: text,
      order_type: z.enum(ORDER_TYPES).nullish().catch(null),
    })
    .nullish()
    .catch(null),
  // Values are provider-set per offer; only the two the engine uses are read (order-minimise.ts).
  oms_params: z.record(z.string(), z.unknown()).nullish().catch(null),
})
export type ProjectItemPayload = z.infer<typeof ProjectItemPayload>

export const ProjectPayload = z.object({
  id,
  owner: z
    .object({ uid: z.string().min(1).max(1024) })
    .nullish()
    .catch(null),
  attributes: z
    .object({
      customer_typology: z.enum(CUSTOMER_TYPOLOGIES).nullish().catch(null),
      scientific_domains: z.array(z.string().min(1).max(256)).max(100).nullish().catch(null),
    })
    .nullish()
    .catch(null),
})
export type ProjectPayload = z.infer<typeof ProjectPayload>

/** `before`/`after` are strings in the swagger; Rails sends null for nil. */
const changeValue = z.union([z.string(), z.number(), z.boolean()]).nullish().transform((v) => (v == null ? null : String(v)))

export const MarketplaceEvent = z.object({
  timestamp: instant,
  type: z.string().min(1),
  resource: z.string().min(1),
  project_id: id.nullish(),
  project_item_id: id.nullish(),
  message_id: id.nullish(),
  changes: z
    .array(z.object({ field: z.string(), before: changeValue, after: changeValue }))
    .nullish()
    .catch(null),
})
export type MarketplaceEvent = z.infer<typeof MarketplaceEvent>
