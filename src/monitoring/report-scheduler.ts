import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import type { AvailabilityReports } from '../reports/availability-report.js'
import type { MonitoringMetrics } from './monitoring-metrics.js'

/** The month before the one of `today` (`YYYY-MM`). */
export function previousMonth(today: string): string {
  const y = Number(today.slice(0, 4))
  const m = Number(today.slice(5, 7))
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}

/**
 * Generates each SLA report's monthly document after the UTC month closes (node-cron, default
 * 00:15 UTC on the 1st), and at start for the last closed month if it was never generated (the
 * engine was down at the time). Generation is idempotent: a month regenerates to the same figures.
 */
export class ReportScheduler {
  private task: ScheduledTask | undefined
  private running: Promise<void> | undefined

  constructor(
    private readonly deps: {
      reports(): readonly string[]
      availabilityReports: AvailabilityReports
      today(): string
      logger: Logger
      metrics: MonitoringMetrics
    },
  ) {}

  start(expression: string): void {
    if (!cron.validate(expression)) throw new Error(`not a cron expression: ${expression}`)
    this.task ??= cron.schedule(expression, () => this.generateClosedMonth('schedule'), { timezone: 'UTC', name: 'eosc-am-availability-reports', noOverlap: true })
    // Catch up in the background; a failure is logged and retried at the next schedule.
    this.running = this.generateClosedMonth('catch-up', true)
  }

  async stop(): Promise<void> {
    await this.task?.destroy()
    this.task = undefined
    await this.running
  }

  /** Generates last month's report for every SLA report (only the missing ones when `onlyMissing`). */
  async generateClosedMonth(trigger: 'schedule' | 'catch-up', onlyMissing = false): Promise<void> {
    const month = previousMonth(this.deps.today())
    for (const report of this.deps.reports()) {
      try {
        if (onlyMissing && (await this.deps.availabilityReports.missing(report, [month])).length === 0) continue
        await this.deps.availabilityReports.generate(report, month)
        this.deps.metrics.reportsGenerated.inc({ trigger })
        this.deps.logger.info({ report, month, trigger }, 'monthly availability report generated')
      } catch (err) {
        this.deps.logger.error({ err, report, month, trigger }, 'monthly availability report failed')
      }
    }
  }
}
