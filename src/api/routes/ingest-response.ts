import { z } from 'zod'

export const IngestResult = z.object({
  accepted: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), record_id: z.string().optional(), errors: z.array(z.string()) })),
})

/** A fixed set of rejection reasons for the metrics label (never the record's content). */
export function rejectionReason(errors: readonly string[]): string {
  const e = errors[0] ?? ''
  if (e.startsWith('line is not JSON')) return 'invalid_json'
  if (e.startsWith('provider: this token')) return 'forbidden_provider'
  if (e.startsWith('metric:') && e.includes('not a registered')) return 'unknown_metric'
  if (e.startsWith('unknown field')) return 'unknown_field'
  return 'invalid_field'
}
