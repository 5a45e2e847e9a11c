import { describe, expect, it } from 'vitest'
import { suppressSmallCells } from './suppression.js'
import type { UsageCell } from './usage-report.js'

const cell = (period: string, provider: string, users: number, value: number): UsageCell => ({
  period, dims: { provider }, metric: 'cpu_hours', unit: 'h', value, records: users, users, suppressed: false,
})

describe('suppressSmallCells', () => {
  it('suppresses cells under k and nothing else when two are already hidden', () => {
    const out = suppressSmallCells([cell('2026-01', 'a', 2, 5), cell('2026-01', 'b', 3, 7), cell('2026-01', 'c', 9, 50)], 5, ['provider'])
    expect(out.map((c) => [c.dims.provider, c.value, c.users, c.suppressed])).toEqual([
      ['a', null, null, true],
      ['b', null, null, true],
      ['c', 50, 9, false],
    ])
  })

  it('adds the smallest sibling when a single cell would be recoverable from the total', () => {
    const out = suppressSmallCells([cell('2026-01', 'a', 2, 5), cell('2026-01', 'b', 8, 70), cell('2026-01', 'c', 6, 40)], 5, ['provider'])
    expect(out.map((c) => c.suppressed)).toEqual([true, false, true])
  })

  it('also protects along the period axis', () => {
    const out = suppressSmallCells([cell('2026-01', 'a', 2, 5), cell('2026-02', 'a', 8, 70), cell('2026-01', 'b', 9, 1), cell('2026-02', 'b', 9, 1)], 5, ['provider'])
    // a/2026-01 is primary; along provider (2026-01: a,b) b/2026-01 is added; along period (a: 01,02) a/2026-02 is added;
    // then b has both months hidden, so nothing more is needed.
    expect(out.map((c) => c.suppressed)).toEqual([true, true, true, true])
  })

  it('leaves a lone cell alone when it meets k', () => {
    expect(suppressSmallCells([cell('2026-01', 'a', 5, 5)], 5, ['provider'])[0]?.suppressed).toBe(false)
  })
})
