import { MAX_VALUE, ORDER_REF, type UsageRecordInput } from './usage-record.schema.js'

const CONTROL = /[\u0000-\u001f\u007f]/
const REQUIRED = ['record_id', 'provider', 'resource', 'metric', 'value', 'start', 'end'] as const
const LIMITS: Record<string, number> = {
  record_id: 256,
  provider: 256,
  resource: 256,
  metric: 128,
  start: 40,
  end: 40,
  user: 512,
  group: 256,
  order: 512,
  installation: 256,
}

/**
 * The hot path of ingest: accepts exactly the well-formed records that `UsageRecordInput` accepts,
 * about ten times faster than zod. Anything it does not accept goes through the zod schema, which
 * stays the one authority and names the failing field — so this check may only ever be stricter.
 */
export function fastUsageRecord(v: unknown): UsageRecordInput | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null
  const o = v as Record<string, unknown>
  let n = 0
  for (const k in o) {
    const limit = LIMITS[k]
    const x = o[k]
    n++
    if (k === 'value') {
      if (typeof x !== 'number' || !(x >= 0 && x <= MAX_VALUE)) return null
      continue
    }
    if (limit === undefined || typeof x !== 'string' || x.length > limit) return null
    if (k === 'start' || k === 'end') continue
    if (x.length === 0 || CONTROL.test(x)) return null
    if (k === 'order' && !ORDER_REF.test(x)) return null
  }
  for (const k of REQUIRED) if (o[k] === undefined) return null
  return n >= REQUIRED.length ? (o as UsageRecordInput) : null
}
