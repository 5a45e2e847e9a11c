import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * Every metric the engine exports, declared once on an injected registry. Labels come from small
 * fixed sets (kind, reason, route, table) — never user, record or resource ids.
 */
export function createMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'eosc_am_' })
  return {
    registry,
    recordsAccepted: new Counter({
      name: 'eosc_am_records_accepted_total',
      help: 'Records accepted at ingest, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    recordsRejected: new Counter({
      name: 'eosc_am_records_rejected_total',
      help: 'Records rejected at ingest, by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers: [registry],
    }),
    insertRows: new Histogram({
      name: 'eosc_am_insert_batch_rows',
      help: 'Rows per ClickHouse insert batch',
      labelNames: ['table'] as const,
      buckets: [1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000, 250_000, 1_000_000],
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'eosc_am_insert_duration_seconds',
      help: 'Duration of ClickHouse insert batches',
      labelNames: ['table'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    groupCommitRequests: new Histogram({
      name: 'eosc_am_group_commit_requests',
      help: 'Ingest requests grouped into one insert batch',
      labelNames: ['kind'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers: [registry],
    }),
    httpSeconds: new Histogram({
      name: 'eosc_am_http_request_duration_seconds',
      help: 'HTTP request latency by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    ...orderMetrics(registry),
  }
}

/** Marketplace order intake (src/orders/order-sync.ts); labels from fixed sets only. */
function orderMetrics(registry: Registry) {
  return {
    orderTriggers: new Counter({
      name: 'eosc_am_order_poll_triggers_total',
      help: 'Order polls requested, by source (http, cron, recovery)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    orderPolls: new Counter({
      name: 'eosc_am_order_polls_total',
      help: 'Order polls finished, by outcome (ok, failed)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    orderPollRetries: new Counter({
      name: 'eosc_am_order_poll_retries_total',
      help: 'Retried Marketplace or store calls during order polls, by operation',
      labelNames: ['op'] as const,
      registers: [registry],
    }),
    orderPollFailures: new Gauge({
      name: 'eosc_am_order_poll_consecutive_failures',
      help: 'Order polls failed in a row since the last success',
      registers: [registry],
    }),
    orderPollLastSuccess: new Gauge({
      name: 'eosc_am_order_poll_last_success_timestamp_seconds',
      help: 'When an order poll last succeeded (Unix seconds)',
      registers: [registry],
    }),
    orderEvents: new Counter({
      name: 'eosc_am_order_events_total',
      help: 'New Marketplace events taken by order polls',
      registers: [registry],
    }),
    orderEventsSkipped: new Counter({
      name: 'eosc_am_order_events_skipped_total',
      help: 'Marketplace events naming an item that could not be stored (gone or unusable)',
      registers: [registry],
    }),
    orderItemsStored: new Counter({
      name: 'eosc_am_order_items_stored_total',
      help: 'Order states stored, by intake path (poll, push)',
      labelNames: ['via'] as const,
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/** Records one ClickHouse insert batch: its rows, and its duration since `startedMs` (performance.now()). */
export function observeInsert(metrics: Metrics, table: string, startedMs: number, rows: number): void {
  metrics.insertSeconds.observe({ table }, (performance.now() - startedMs) / 1000)
  metrics.insertRows.observe({ table }, rows)
}
