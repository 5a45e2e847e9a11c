import type { Metrics } from '../platform/metrics.js'
import type { Bus, RecordKind } from './bus.js'
import { GroupCommit, type GroupCommitLimits } from './group-commit.js'

/**
 * Group commit in front of a bus that pays per publish (Kafka: a produce round trip per request,
 * and one record batch per partition per request for the consumer to fetch): concurrent publishes
 * of a kind go out as one publish, and each resolves once that publish did. A failed publish fails
 * every request in it; their clients retry, and re-sent rows replace, never double count.
 */
export function groupPublishes(bus: Bus, limits: GroupCommitLimits, metrics: Metrics): Bus {
  const commits = new Map<RecordKind, GroupCommit<Record<string, unknown>>>()
  const commitFor = (kind: RecordKind) => {
    let gc = commits.get(kind)
    if (!gc) {
      gc = new GroupCommit(async (rows, requests) => {
        metrics.groupCommitRequests.observe({ kind }, requests)
        await bus.publish(kind, rows)
      }, limits)
      commits.set(kind, gc)
    }
    return gc
  }
  return {
    // Rows are small flat objects; ~200 bytes each is close enough for the byte bound.
    publish: (kind, rows) => commitFor(kind).submit(rows, rows.length * 200),
    async close() {
      await Promise.all([...commits.values()].map((gc) => gc.drain()))
      await bus.close()
    },
    health: () => bus.health(),
  }
}
