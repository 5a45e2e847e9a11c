import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** Monitoring's own metrics, on the engine's registry; labels from small fixed sets only. */
export function createMonitoringMetrics(registry: Registry) {
  return {
    recomputeSeconds: new Histogram({
      name: 'eosc_am_availability_recompute_seconds',
      help: 'Duration of one (report, day) availability recompute, by scope (all groups or the touched ones)',
      labelNames: ['scope'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    dirtyDays: new Gauge({
      name: 'eosc_am_availability_dirty_days',
      help: '(report, day) pairs waiting for an availability recompute',
      registers: [registry],
    }),
    proberChecks: new Counter({
      name: 'eosc_am_prober_checks_total',
      help: 'Checks run by the built-in prober, by check and resulting status',
      labelNames: ['check', 'status'] as const,
      registers: [registry],
    }),
    reportsGenerated: new Counter({
      name: 'eosc_am_availability_reports_generated_total',
      help: 'Monthly availability reports generated, by trigger',
      labelNames: ['trigger'] as const,
      registers: [registry],
    }),
  }
}

export type MonitoringMetrics = ReturnType<typeof createMonitoringMetrics>
