import { z } from 'zod'

const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/
const ident = z.string().min(1).max(256).regex(NO_CONTROL, 'must not contain control characters')

/**
 * A scheduled downtime (DESIGN §3.4): one endpoint (`hostname` + `service`) or every endpoint of a
 * `group`. Times are RFC 3339; ARGO reads the end minute inclusively, so DOWNTIME covers
 * `[start, end + 60 s)` (reference §1.5). Re-sending a `downtime_id` replaces that downtime.
 */
export const DowntimeInput = z
  .strictObject({
    downtime_id: ident,
    hostname: ident.optional(),
    service: ident.optional(),
    group: ident.optional(),
    start: z.string().max(40),
    end: z.string().max(40),
    reason: z.string().max(4096).optional(),
  })
  .superRefine((d, ctx) => {
    const endpoint = d.hostname !== undefined || d.service !== undefined
    if (d.group !== undefined && endpoint) {
      ctx.addIssue({ code: 'custom', path: ['group'], message: 'give either group or hostname and service, not both' })
    } else if (d.group === undefined && (d.hostname === undefined || d.service === undefined)) {
      ctx.addIssue({ code: 'custom', path: [d.hostname === undefined ? 'hostname' : 'service'], message: 'give hostname and service, or group' })
    }
  })
export type DowntimeInput = z.infer<typeof DowntimeInput>

const epochMs = z.number().int().min(0).max(7_258_118_400_000)

/** A downtime as it travels on the bus and lands in `downtimes`; `deleted` rows are tombstones. */
export const DowntimeRow = z.strictObject({
  downtime_id: z.string().min(1).max(256),
  group: z.string().max(256),
  hostname: z.string().max(256),
  service: z.string().max(256),
  start: epochMs,
  end: epochMs,
  reason: z.string().max(4096),
  /** The providers owning the covered groups when it was declared (who may change or delete it). */
  providers: z.array(z.string().max(256)).max(1000),
  created_by: z.string().max(256),
  deleted: z.union([z.literal(0), z.literal(1)]),
  version: z.number().int().positive(),
})
export type DowntimeRow = z.infer<typeof DowntimeRow>
