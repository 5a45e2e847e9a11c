import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { collectProbeResults } from '../collectors/probe-collector.js'
import { DEFAULT_CHECK_OPTIONS } from '../collectors/prober/checks.js'
import { Prober, type ProbeTarget } from '../collectors/prober/prober.js'
import type { VersionClock } from '../collectors/version-clock.js'
import type { Bus, KindWriter } from '../pipeline/bus.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { Metrics } from '../platform/metrics.js'
import { AvailabilityReports } from '../reports/availability-report.js'
import { AvailabilityService } from './availability-service.js'
import { ConfigChanges } from './config-changes.js'
import { DirtyMarkStore } from './dirty-marks.store.js'
import { DowntimeStore } from './downtime-store.js'
import { createDowntimeWriter } from './downtime-writer.js'
import { createMaterialiser } from './materialiser.js'
import type { MonitoringConfig } from './monitoring-config.js'
import { createMonitoringMetrics } from './monitoring-metrics.js'
import { createProbeWriter } from './probe-writer.js'
import { RecomputationStore } from './recomputation-store.js'
import { RecomputeQueue } from './recompute-queue.js'
import { ReportScheduler } from './report-scheduler.js'
import { SlaReportStore } from './sla-report-store.js'
import { TopologyStore } from './topology-store.js'

export interface MonitoringDeps {
  store: Store
  clock: VersionClock
  logger: Logger
  metrics: Metrics
  config: MonitoringConfig
  /** Wall clock (epoch ms); tests pass a fixed one. */
  now?: () => number
  /** Other processes may change the topology, reports and recomputations (a ClickHouse server). */
  shared?: boolean
}

/**
 * Builds the monitoring side once (composition roots: src/main.ts, the CLI): stores, the recompute
 * queue and its materialiser, the bus writers for `probe` and `downtime`, the read services; then
 * `start(bus)` runs the background recompute loop, the prober and the report scheduler.
 */
export async function createMonitoring(deps: MonitoringDeps) {
  const now = deps.now ?? Date.now
  const today = () => new Date(now()).toISOString().slice(0, 10)
  const metrics = createMonitoringMetrics(deps.metrics.registry)
  const topology = new TopologyStore(deps.store, deps.clock)
  const reports = new SlaReportStore(deps.store, deps.clock)
  const recomputations = new RecomputationStore(deps.store, deps.clock)
  const downtimes = new DowntimeStore(deps.store)
  await Promise.all([topology.load(), reports.load(), recomputations.load()])

  const queue = new RecomputeQueue({
    marks: new DirtyMarkStore(deps.store),
    clock: deps.clock,
    reports: () => reports.names(),
    materialise: createMaterialiser({
      store: deps.store,
      topology,
      reports,
      downtimes,
      recomputations,
      // A day is computed from the definitions as stored, not as this process last saw them.
      current: deps.shared ? () => Promise.all([topology.refresh(() => false), reports.refresh(() => false), recomputations.refresh()]) : undefined,
    }),
    logger: deps.logger,
    metrics,
    today,
    now,
    quietMs: deps.config.recompute.quietMs,
    maxDelayMs: deps.config.recompute.maxDelayMs,
  })
  await queue.load()

  const availability = new AvailabilityService({ store: deps.store, topology, reports, queue, today })
  const availabilityReports = new AvailabilityReports({ store: deps.store, availability, topology, downtimes, recomputations, today, now })
  const changes = new ConfigChanges({ topology, reports, recomputations, queue, today })
  const writers: { probe: KindWriter; downtime: KindWriter } = {
    probe: createProbeWriter({ store: deps.store, queue, topology, metrics: deps.metrics }),
    downtime: createDowntimeWriter({ downtimes, queue, topology }),
  }
  const scheduler = new ReportScheduler({ reports: () => reports.names(), availabilityReports, today, logger: deps.logger, metrics })

  let prober: Prober | undefined
  let started = false

  return {
    topology,
    reports,
    recomputations,
    downtimes,
    queue,
    availability,
    availabilityReports,
    changes,
    writers,
    metrics,
    today,
    now,
    /** Current topology and report definitions for a read (another instance may have changed them). */
    refresh(report?: string): Promise<unknown> {
      return Promise.all([topology.refresh(), reports.refresh(() => report === undefined || reports.get(report) !== undefined)])
    },
    get prober(): Prober | undefined {
      return prober
    },

    /** Starts the background work; the prober records through `bus` like any probe box. */
    start(bus: Bus, opts: { scheduler?: boolean } = {}): void {
      if (started) return
      started = true
      queue.start()
      const cfg = deps.config.prober
      prober = new Prober({
        targets: () => probeTargets(topology, today()),
        record: async (records) => {
          const { rows, rejected } = collectProbeResults({ items: records.map((value) => ({ ok: true as const, value })) }, {
            isKnownEndpoint: (h, s) => topology.isKnownEndpoint(h, s),
            now,
          })
          await bus.publish('probe', rows)
          deps.metrics.recordsAccepted.inc({ kind: 'probe' }, rows.length)
          return { accepted: rows.length, rejected: rejected.length }
        },
        monitoringHost: cfg.name,
        checks: { ...DEFAULT_CHECK_OPTIONS, timeoutMs: cfg.timeoutMs, ...(cfg.caFile ? { ca: readFileSync(cfg.caFile) } : {}) },
        concurrency: cfg.concurrency,
        logger: deps.logger,
        onCheck: (check, status) => metrics.proberChecks.inc({ check, status }),
      })
      if (cfg.enabled) prober.start(cfg.cron)
      if (opts.scheduler !== false) scheduler.start(deps.config.reportCron)
    },

    async close(): Promise<void> {
      await prober?.stop()
      await scheduler.stop()
      await queue.stop()
    },
  }
}

export type Monitoring = Awaited<ReturnType<typeof createMonitoring>>

/** The endpoints of today's topology that have a URL, once each. */
export function probeTargets(topology: TopologyStore, day: string): ProbeTarget[] {
  const targets: ProbeTarget[] = []
  for (const g of topology.at(day)?.version.groups ?? []) {
    for (const e of g.endpoints) if (e.url !== undefined) targets.push({ hostname: e.hostname, service: e.service, url: e.url })
  }
  return targets
}
