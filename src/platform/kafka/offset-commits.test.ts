import type { EachBatchPayload } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { offsetCommits } from './offset-commits.js'

type Commit = EachBatchPayload['commitOffsetsIfNecessary']

describe('offsetCommits', () => {
  it('sends the commits of batches finishing together as one request and settles each with it', async () => {
    const requests: unknown[] = []
    let fail = false
    const commitFn: Commit = async (offsets) => {
      requests.push(offsets)
      if (fail) throw new Error('rebalancing')
    }
    const commit = offsetCommits()
    await Promise.all([commit(commitFn, 'usage', 0, '10'), commit(commitFn, 'usage', 2, '7'), commit(commitFn, 'probe', 1, '3')])
    expect(requests).toEqual([
      {
        topics: [
          { topic: 'usage', partitions: [{ partition: 0, offset: '10' }, { partition: 2, offset: '7' }] },
          { topic: 'probe', partitions: [{ partition: 1, offset: '3' }] },
        ],
      },
    ])

    fail = true
    const later = [commit(commitFn, 'usage', 0, '12'), commit(commitFn, 'usage', 1, '4')]
    for (const p of later) await expect(p).rejects.toThrow('rebalancing')
    expect(requests).toHaveLength(2)
  })
})
