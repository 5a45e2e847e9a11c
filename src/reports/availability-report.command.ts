import { parseArgs } from 'node:util'
import type { Logger } from 'pino'
import { VersionClock } from '../collectors/version-clock.js'
import { openStore } from '../main.js'
import { createMonitoring } from '../monitoring/monitoring.js'
import { REPORT_NAME } from '../monitoring/sla-report-store.js'
import type { Config } from '../platform/config.js'
import { createMetrics } from '../platform/metrics.js'
import { availabilityReportCsv } from './availability-report.csv.js'
import { availabilityReportHtml } from './availability-report.html.js'

export const REPORT_USAGE = `  eosc-am report availability --report NAME --month YYYY-MM [--format csv|json|html] [--regenerate]
                                        print a monthly availability report to stdout`

/**
 * `eosc-am report availability`: the monthly report from storage (generated when missing or
 * stale, exactly as `GET /v1/reports/availability/...` does) printed to stdout. Embedded
 * storage is opened by this process, so run it when the server is not running on the same data
 * directory (or use the API).
 */
export async function availabilityReportCommand(config: Config, logger: Logger, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { report: { type: 'string' }, month: { type: 'string' }, format: { type: 'string', default: 'csv' }, regenerate: { type: 'boolean', default: false } },
    strict: true,
  })
  const problems: string[] = []
  if (!values.report || !REPORT_NAME.test(values.report)) problems.push('--report NAME is required (letters, digits, _ . -)')
  if (!values.month || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month)) problems.push('--month YYYY-MM is required')
  if (!['csv', 'json', 'html'].includes(values.format ?? '')) problems.push('--format must be csv, json or html')
  if (problems.length || !values.report || !values.month) {
    process.stderr.write(`${problems.join('\n')}\n\n${REPORT_USAGE}\n`)
    return 2
  }
  const store = await openStore(config, logger)
  try {
    const monitoring = await createMonitoring({ store, clock: new VersionClock(), logger, metrics: createMetrics(), config: config.monitoring, shared: config.clickhouse.kind === 'server' })
    if (monitoring.reports.get(values.report) === undefined) {
      process.stderr.write(`no SLA report '${values.report}' (known: ${monitoring.reports.names().join(', ') || 'none'})\n`)
      return 1
    }
    if (`${values.month}-01` > monitoring.today()) {
      process.stderr.write(`${values.month} has not started yet\n`)
      return 1
    }
    const doc = values.regenerate
      ? await monitoring.availabilityReports.generate(values.report, values.month)
      : await monitoring.availabilityReports.get(values.report, values.month)
    const out = values.format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : values.format === 'html' ? availabilityReportHtml(doc) : availabilityReportCsv(doc)
    process.stdout.write(out)
    return 0
  } finally {
    await store.close()
  }
}
