import { describe, expect, it } from 'vitest'
import { fastUsageRecord } from './usage-record.fast-check.js'
import { UsageRecordInput } from './usage-record.schema.js'

const good = {
  record_id: 'r', provider: 'p', resource: 'res', metric: 'm', value: 1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:00:00Z',
}

/** The fast path may only be stricter than the zod schema: whatever it accepts, zod accepts too. */
describe('fastUsageRecord', () => {
  const variants: unknown[] = [
    good,
    { ...good, user: 'u', group: 'g', order: 'eosc:1:2', installation: 'i' },
    { ...good, value: -1 },
    { ...good, value: Number.NaN },
    { ...good, value: Infinity },
    { ...good, value: '1' },
    { ...good, value: 2e15 },
    { ...good, record_id: '' },
    { ...good, record_id: 'x'.repeat(257) },
    { ...good, metric: 'm'.repeat(129) },
    { ...good, resource: 'a\nb' },
    { ...good, extra: 1 },
    { ...good, order: 'nope' },
    { ...good, user: 7 },
    { ...good, group: null },
    { ...good, start: 5 },
    { record_id: 'r' },
    [],
    null,
    'string',
  ]

  it.each(variants.map((v, i) => [i, v]))('agrees with the schema on variant %i', (_i, v) => {
    const fast = fastUsageRecord(v)
    const slow = UsageRecordInput.safeParse(v)
    if (fast) expect(slow.success).toBe(true)
    if (slow.success && v === good) expect(fast).not.toBeNull()
  })

  it('takes the common well-formed record without zod', () => {
    expect(fastUsageRecord({ ...good, user: 'u', group: 'g', order: 'eosc:1:2' })).not.toBeNull()
  })
})
