import type { Dimension } from './usage-query.schema.js'
import type { UsageCell } from './usage-report.js'

/**
 * Small-cell suppression for funder outputs. Primary: a cell with fewer than `k` distinct users
 * loses its value, record count and user count. Complementary: the total over any one dimension (period or a
 * grouped column) can be read by a coarser query, so where a row of sibling cells along that
 * dimension has exactly one suppressed cell, the smallest other sibling is suppressed too —
 * otherwise total − visible siblings would give the hidden value back. Repeats until stable.
 */
export function suppressSmallCells(cells: UsageCell[], k: number, groupBy: readonly Dimension[]): UsageCell[] {
  const out = cells.map((c) => ({ ...c }))
  const hidden = new Set<number>()
  out.forEach((c, i) => {
    if ((c.users ?? 0) < k) hidden.add(i)
  })
  const axes: (Dimension | 'period')[] = ['period', ...groupBy]
  let changed = hidden.size > 0
  while (changed) {
    changed = false
    for (const axis of axes) {
      for (const members of siblings(out, axis, groupBy).values()) {
        const suppressed = members.filter((i) => hidden.has(i))
        if (suppressed.length !== 1 || members.length < 2) continue
        const partner = members
          .filter((i) => !hidden.has(i))
          .sort((a, b) => (out[a]!.users ?? 0) - (out[b]!.users ?? 0) || (out[a]!.value ?? 0) - (out[b]!.value ?? 0))[0]
        if (partner !== undefined) {
          hidden.add(partner)
          changed = true
        }
      }
    }
  }
  // The record count goes too: in a small cell it bounds the number of users.
  for (const i of hidden) Object.assign(out[i]!, { value: null, records: null, users: null, suppressed: true })
  return out
}

/** Cells that differ only along `axis`, keyed by every other coordinate (metric included). */
function siblings(cells: UsageCell[], axis: Dimension | 'period', groupBy: readonly Dimension[]): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  cells.forEach((c, i) => {
    const key = [axis === 'period' ? '' : c.period, ...groupBy.map((d) => (d === axis ? '' : (c.dims[d] ?? ''))), c.metric].join('\u0000')
    const g = groups.get(key) ?? []
    g.push(i)
    groups.set(key, g)
  })
  return groups
}
