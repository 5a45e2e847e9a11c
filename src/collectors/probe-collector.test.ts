import { describe, expect, it } from 'vitest'
import { collectProbeResults, fastProbeResult } from './probe-collector.js'
import { ProbeResultInput } from './probe-result.schema.js'

const base = { timestamp: '2026-03-10T10:00:00Z', hostname: 'h', service: 's', metric: 'm', status: 'OK' }
const candidates: unknown[] = [
  base,
  { ...base, status: 'ok' },
  { ...base, status: 'Ok' },
  { ...base, status: ' OK ' },
  { ...base, status: 'DOWN' },
  { ...base, status: 0 },
  { ...base, hostname: '' },
  { ...base, hostname: 'a\nb' },
  { ...base, hostname: 'x'.repeat(257) },
  { ...base, monitoring_host: 'mon' },
  { ...base, monitoring_host: '' },
  { ...base, summary: 'multi\nline', message: 'm\u0000' },
  { ...base, summary: 'x'.repeat(4097) },
  { ...base, actual_data: 'time=1s' },
  { ...base, tags: { a: 'b' } },
  { ...base, extra: 1 },
  { ...base, timestamp: 12 },
  { ...base, metric: undefined },
  null,
  [base],
  'text',
]

describe('probe result fast path', () => {
  it.each(candidates.map((c, i) => [i, c]))('agrees with the schema on candidate %i', (_i, c) => {
    const fast = fastProbeResult(c)
    const zod = ProbeResultInput.safeParse(c)
    // The fast path may only be stricter: whatever it accepts, the schema accepts unchanged.
    if (fast !== null) expect(zod.success && zod.data).toEqual(fast)
  })

  it('gives every candidate an outcome, with statuses upper-cased', () => {
    const { rows, rejected } = collectProbeResults({ items: candidates.map((value) => ({ ok: true as const, value })) }, { isKnownEndpoint: () => true, now: () => Date.parse('2026-03-11T00:00:00Z') })
    expect(rows.length + rejected.length).toBe(candidates.length)
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['OK']))
    expect(rows.map((r) => r.severity)).toEqual(rows.map(() => 0))
    expect(rejected.map((r) => r.index)).toEqual([4, 5, 6, 7, 8, 10, 12, 15, 16, 17, 18, 19, 20])
  })
})
