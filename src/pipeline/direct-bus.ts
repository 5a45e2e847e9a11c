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
  // Two flushes at once: one batch inserting while the next is prepared.
  return groupPublishes(writing, { ...deps.limits, maxInFlight: 2 }, deps.metrics)
}
