import type { Metrics } from '../platform/metrics.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { Bus, KindWriters } from './bus.js'
import type { GroupCommitLimits } from './group-commit.js'
import { groupPublishes } from './grouped-bus.js'

/**
 * The embedded bus: rows go straight to their kind's writer through group commit; `publish`
 * resolves once ClickHouse has the rows, so a 202 is durable.
 */
export function createDirectBus(deps: { store: Store; writers: KindWriters; limits: GroupCommitLimits; metrics: Metrics }): Bus {
  const writing: Bus = {
    async publish(kind, rows) {
      const writer = deps.writers[kind]
      if (!writer) throw new Error(`no writer for record kind ${kind}`)
      await writer.write(rows, {})
    },
    close: async () => undefined,
    async health() {
      const ok = await deps.store.ping()
      return { ok, detail: { bus: 'direct', clickhouse: ok ? 'ok' : 'unavailable' } }
    },
  }
  // One insert at a time: requests arriving meanwhile are parsed and form the next, larger batch
  // (measured ~25 % faster than preparing the next batch during the insert).
  return groupPublishes(writing, deps.limits, deps.metrics)
}
