import type { EachBatchPayload } from 'kafkajs'

type Commit = EachBatchPayload['commitOffsetsIfNecessary']
type PartitionOffset = { partition: number; offset: string }

/**
 * Gathers the offset commits of partition batches that finish together (their rows were stored
 * by one insert) into one OffsetCommit request, instead of one request per partition. Each
 * commit settles with the request that carried it.
 */
export function offsetCommits() {
  let open: { commit: Commit; topics: Map<string, PartitionOffset[]>; waiters: { resolve(): void; reject(err: unknown): void }[] } | undefined

  const send = (batch: NonNullable<typeof open>) => {
    open = undefined
    const topics = [...batch.topics].map(([topic, partitions]) => ({ topic, partitions }))
    batch.commit({ topics }).then(
      () => batch.waiters.forEach((w) => w.resolve()),
      (err: unknown) => batch.waiters.forEach((w) => w.reject(err)),
    )
  }

  /** Commits `offset` (the next one to consume) for a partition with the payload's commit. */
  return (commit: Commit, topic: string, partition: number, offset: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (!open) {
        const batch = (open = { commit, topics: new Map(), waiters: [] })
        setImmediate(() => send(batch))
      }
      let partitions = open.topics.get(topic)
      if (!partitions) open.topics.set(topic, (partitions = []))
      partitions.push({ partition, offset })
      open.waiters.push({ resolve, reject })
    })
}
