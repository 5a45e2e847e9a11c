import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client'

/**
 * Metrics of the Kafka bus and sink on an injected registry (a private one when none is given,
 * so the code path is the same). Labels are topics, kinds and reasons — never record ids.
 * A metric already on the registry is reused: a bus and a sink, or two sinks, may share one.
 */
export function kafkaBusMetrics(registry = new Registry()) {
  return {
    publishSeconds: metric(
      registry,
      'eosc_am_bus_publish_seconds',
      (name, registers) =>
        new Histogram({
          name,
          help: 'Time from publish to the acknowledgement by all in-sync Kafka replicas, by kind and outcome',
          labelNames: ['kind', 'outcome'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
  }
}

export type DeadLetterReason = 'invalid_json' | 'invalid_record' | 'write_rejected'

export function kafkaSinkMetrics(registry = new Registry()) {
  return {
    consumerLag: metric(
      registry,
      'eosc_am_kafka_consumer_lag',
      (name, registers) =>
        new Gauge({
          name,
          help: 'Messages the sink has not committed yet: high watermark minus committed offset, summed over its partitions',
          labelNames: ['topic'] as const,
          registers,
        }),
    ),
    batchRows: metric(
      registry,
      'eosc_am_sink_batch_rows',
      (name, registers) =>
        new Histogram({
          name,
          help: 'Rows per sink write (one write per consumed batch)',
          labelNames: ['kind'] as const,
          buckets: [1, 10, 100, 500, 1_000, 5_000, 10_000, 50_000],
          registers,
        }),
    ),
    insertSeconds: metric(
      registry,
      'eosc_am_sink_insert_seconds',
      (name, registers) =>
        new Histogram({
          name,
          help: 'Duration of successful sink writes',
          labelNames: ['kind'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    deadLetters: metric(
      registry,
      'eosc_am_dead_letter_total',
      (name, registers) =>
        new Counter({
          name,
          help: 'Messages moved to the dead-letter topic, by reason',
          labelNames: ['reason'] as const,
          registers,
        }),
    ),
  }
}

function metric<M extends Metric>(registry: Registry, name: string, create: (name: string, registers: Registry[]) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name, [registry])
}
