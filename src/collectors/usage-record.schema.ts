import { z } from 'zod'

const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/
const NO_CONTROL_MESSAGE = 'must not contain control characters'

/** Identifiers: printable, no control characters (they would corrupt CSV and logs). */
export const ident = (max: number) => z.string().min(1).max(max).regex(NO_CONTROL, NO_CONTROL_MESSAGE)

/** Checked as RFC 3339 by the collector, which parses each timestamp once (hot path). */
const instant = z.string().max(40)

/** Values above this would lose integer precision and overflow sums; no real meter reaches it. */
export const MAX_VALUE = 1e15

export const ORDER_REF = /^[A-Za-z0-9_.-]+:[^:\s]+:[^:\s]+$/

/** What a provider sends (DESIGN §3.2). Unknown fields are refused so a typo never silently drops data. */
export const UsageRecordInput = z
  .strictObject({
    record_id: ident(256),
    provider: ident(256),
    resource: ident(256),
    metric: ident(128),
    value: z.number().finite().min(0).max(MAX_VALUE),
    start: instant,
    end: instant,
    user: ident(512).optional(),
    group: ident(256).optional(),
    order: z.string().max(512).regex(ORDER_REF, 'must be <instance>:<project_id>:<item_id>').optional(),
    installation: ident(256).optional(),
  })

export type UsageRecordInput = z.infer<typeof UsageRecordInput>

/** Epoch milliseconds (ClickHouse reads them straight into DateTime64(3)). */
const epochMs = z.number().int().min(0).max(7_258_118_400_000)

/** A pseudonymised usage row as it travels on the bus and lands in ClickHouse. */
export const UsageRow = z.strictObject({
  // The key, as the writer's lookup needs it (ids travel newline-joined): checked as at intake.
  provider: z.string().min(1).regex(NO_CONTROL, NO_CONTROL_MESSAGE),
  record_id: z.string().min(1).regex(NO_CONTROL, NO_CONTROL_MESSAGE),
  resource: z.string().min(1),
  metric: z.string().min(1),
  value: z.number().finite().min(0),
  start: epochMs,
  end: epochMs,
  at: epochMs,
  user_id: z.string().regex(/^(u_[A-Za-z0-9_-]{43})?$/, 'must be a pseudonym or empty'),
  user_group: z.string(),
  order_ref: z.string(),
  installation: z.string(),
  version: z.number().int().positive(),
})

export type UsageRow = z.infer<typeof UsageRow>
