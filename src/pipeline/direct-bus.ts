import type { Metrics } from '../platform/metrics.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { Bus, KindWriters, RecordKind } from './bus.js'
import { GroupCommit, type GroupCommitLimits } from './group-commit.js'

/**
 * The embedded bus: rows go straight to their kind's writer through group commit; `publish`
 * resolves once ClickHouse has the rows, so a 202 is durable.
 */
export function createDirectBus(deps: { store: Store; writers: KindWriters; limits: GroupCommitLimits; metrics: Metrics }): Bus {
  const commits = new Map<RecordKind, GroupCommit<Record<string, unknown>>>()
  const commitFor = (kind: RecordKind) => {
    let gc = commits.get(kind)
    if (!gc) {
      const writer = deps.writers[kind]
      if (!writer) throw new Error(`no writer for record kind ${kind}`)
      gc = new GroupCommit(async (rows, requests) => {
        deps.metrics.groupCommitRequests.observe({ kind }, requests)
        await writer.write(rows, {})
      }, { ...deps.limits, maxInFlight: 2 }) // one batch inserting while the next is prepared
      commits.set(kind, gc)
    }
    return gc
  }
  return {
    publish: (kind, rows) => commitFor(kind).submit(rows, estimateBytes(rows)),
    async close() {
      await Promise.all([...commits.values()].map((gc) => gc.drain()))
    },
    async health() {
      const ok = await deps.store.ping()
      return { ok, detail: { bus: 'direct', clickhouse: ok ? 'ok' : 'unavailable' } }
    },
  }
}

/** Rows are small flat objects; ~200 bytes each is close enough for the byte bound. */
function estimateBytes(rows: readonly unknown[]): number {
  return rows.length * 200
}
