import { toCsv } from './csv.js'
import type { AvailabilityReportDoc } from './availability-report.js'

export const REPORT_CSV_COLUMNS = [
  'report', 'month', 'group', 'type', 'provider', 'resource',
  'availability', 'reliability', 'uptime', 'unknown', 'downtime', 'excluded', 'days', 'computed_days',
  'target_availability', 'target_reliability', 'target_uptime', 'target_unknown', 'target_downtime',
  'breach', 'breach_availability', 'breach_reliability', 'breach_uptime', 'breach_unknown', 'breach_downtime',
] as const

/**
 * One line per group (DESIGN §3: a header line, then one line per row). A/R in percent, an empty
 * field when undefined; uptime/unknown/downtime/excluded as fractions 0–1; targets in percent.
 */
export function availabilityReportCsv(doc: AvailabilityReportDoc): string {
  const t = doc.thresholds
  const rows = doc.groups.map((g) => ({
    report: doc.report,
    month: doc.month,
    group: g.group,
    type: g.type,
    provider: g.provider,
    resource: g.resource,
    availability: g.availability,
    reliability: g.reliability,
    uptime: g.uptime,
    unknown: g.unknown,
    downtime: g.downtime,
    excluded: g.excluded,
    days: g.days,
    computed_days: g.computed_days,
    target_availability: t.availability,
    target_reliability: t.reliability,
    target_uptime: t.uptime,
    target_unknown: t.unknown,
    target_downtime: t.downtime,
    breach: g.breach,
    breach_availability: g.breaches.availability,
    breach_reliability: g.breaches.reliability,
    breach_uptime: g.breaches.uptime,
    breach_unknown: g.breaches.unknown,
    breach_downtime: g.breaches.downtime,
  }))
  return toCsv(REPORT_CSV_COLUMNS, rows)
}
