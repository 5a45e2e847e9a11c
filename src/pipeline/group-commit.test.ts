import { describe, expect, it } from 'vitest'
import { GroupCommit, type GroupCommitLimits } from './group-commit.js'

/** A GroupCommit whose first flush holds until `release()`; `flushes` records every flush. */
function gated(limits: GroupCommitLimits) {
  const flushes: number[][] = []
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const gc = new GroupCommit<number>(async (rows) => {
    flushes.push([...rows])
    if (flushes.length === 1) await gate
  }, limits)
  return { gc, flushes, release }
}

describe('GroupCommit', () => {
  it('groups submissions made while a flush runs into the next flush', async () => {
    const { gc, flushes, release } = gated({ maxRows: 100, maxBytes: 1e9, maxWaitMs: 1 })
    const first = gc.submit([1], 1)
    await new Promise((r) => setTimeout(r, 5))
    const rest = [gc.submit([2], 1), gc.submit([3, 4], 1), gc.submit([5], 1)]
    release()
    await Promise.all([first, ...rest])
    expect(flushes).toEqual([[1], [2, 3, 4, 5]])
  })

  it('seals a batch at maxRows without splitting a submission', async () => {
    const flushes: number[][] = []
    const gc = new GroupCommit<number>(async (rows) => void flushes.push([...rows]), { maxRows: 3, maxBytes: 1e9, maxWaitMs: 50 })
    await Promise.all([gc.submit([1, 2], 1), gc.submit([3, 4], 1), gc.submit([5, 6, 7, 8], 1)])
    expect(flushes).toEqual([[1, 2], [3, 4], [5, 6, 7, 8]])
  })

  it('rejects every submission of a failed flush, and only those', async () => {
    let calls = 0
    const gc = new GroupCommit<number>(async () => {
      if (++calls === 1) throw new Error('store down')
    }, { maxRows: 2, maxBytes: 1e9, maxWaitMs: 1 })
    const a = gc.submit([1, 2], 1)
    const b = gc.submit([3], 1)
    await expect(a).rejects.toThrow('store down')
    await expect(b).resolves.toBeUndefined()
  })

  it('drains everything submitted', async () => {
    const seen: number[] = []
    const gc = new GroupCommit<number>(async (rows) => void seen.push(...rows), { maxRows: 10, maxBytes: 1e9, maxWaitMs: 1000 })
    void gc.submit([1], 1)
    void gc.submit([2], 1)
    await gc.drain()
    expect(seen).toEqual([1, 2])
  })

  it('after a flush, lets a small next batch linger for more rows, and sends a half-full one at once', async () => {
    const { gc, flushes, release } = gated({ maxRows: 10, maxBytes: 1e9, maxWaitMs: 1, lingerMs: 30 })
    const first = gc.submit([1], 1)
    await new Promise((r) => setTimeout(r, 5))
    const second = gc.submit([2], 1)
    release()
    await first
    // The flush ended with one row waiting: it lingers, and rows arriving meanwhile join it.
    await new Promise((r) => setTimeout(r, 10))
    expect(flushes).toHaveLength(1)
    const third = gc.submit([3, 4, 5, 6], 1)
    await Promise.all([second, third])
    expect(flushes).toEqual([[1], [2, 3, 4, 5, 6]])
  })
})
