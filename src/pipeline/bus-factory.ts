import type { Logger } from 'pino'
import type { Store } from '../platform/clickhouse/store.js'
import type { Config } from '../platform/config.js'
import { createKafkaBus } from '../platform/kafka/kafka-bus.js'
import { createKafkaSink, type KafkaSink } from '../platform/kafka/kafka-sink.js'
import type { Metrics } from '../platform/metrics.js'
import type { Bus, KindWriters } from './bus.js'
import { createDirectBus } from './direct-bus.js'
import { groupPublishes } from './grouped-bus.js'
import { decodeUsage, type UsagePart } from './usage-part.js'
import type { UsageWriter } from './usage-writer.js'

export interface Pipeline {
  bus: Bus
  /** Usage encoded at intake: the direct bus writes the parts as they are, Kafka carries their rows. */
  publishUsage: (part: UsagePart) => Promise<void>
  /** The Kafka → ClickHouse consumer, when Kafka is configured and this process runs it. */
  sink?: KafkaSink
}

/**
 * The bus the configuration asks for: direct (embedded default) or Kafka, whose sink writes with
 * the same writers as the direct bus. `/readyz` sees the sink's state through `bus.health()`.
 */
export function createPipeline(
  config: Pick<Config, 'kafka' | 'groupCommit'>,
  deps: { store: Store; writers: KindWriters; usage: Pick<UsageWriter, 'writeParts'>; metrics: Metrics; logger: Logger; runSink: boolean },
): Pipeline {
  if (!config.kafka) return createDirectBus({ store: deps.store, writers: deps.writers, usage: deps.usage, limits: config.groupCommit, metrics: deps.metrics })
  const kafkaBus = groupPublishes(createKafkaBus(config.kafka, { logger: deps.logger, metrics: deps.metrics.registry }), config.groupCommit, deps.metrics)
  const sink = deps.runSink
    ? createKafkaSink(config.kafka, deps.writers, { logger: deps.logger, metrics: deps.metrics.registry, groupId: config.kafka.groupId })
    : undefined
  const bus: Bus = {
    publish: (kind, rows) => kafkaBus.publish(kind, rows),
    close: () => kafkaBus.close(),
    async health() {
      const [b, s, clickhouse] = await Promise.all([kafkaBus.health(), sink?.health(), deps.store.ping()])
      return {
        ok: b.ok && (s?.ok ?? true) && clickhouse,
        detail: { ...b.detail, ...(s?.detail ?? { sink: 'not in this process' }), clickhouse: clickhouse ? 'ok' : 'unavailable' },
      }
    },
  }
  return { bus, publishUsage: (part) => bus.publish('usage', decodeUsage(part)), sink }
}
