import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { ArRow } from '../../monitoring/availability-service.js'
import { DayString } from '../../monitoring/topology.schema.js'
import { REPORT_NAME } from '../../monitoring/sla-report-store.js'
import { forbidden } from '../../platform/errors.js'
import { Figures } from '../../reports/availability-report.js'
import { toCsv } from '../../reports/csv.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

export const ReportParams = z.object({ report: z.string().regex(REPORT_NAME, 'not a report name') })

const ArRowOut = z.object({
  group: z.string(),
  service: z.string().optional(),
  hostname: z.string().optional(),
  period: z.string(),
  ...Figures,
  days: z.number().int(),
  computed_days: z.number().int(),
  target_availability: z.number().optional(),
  target_reliability: z.number().optional(),
  breach: z.boolean().nullable().optional(),
})

const ArResponse = z.object({
  rows: z.array(ArRowOut),
  report: z.string(),
  from: z.string(),
  to: z.string(),
  granularity: z.string(),
  level: z.string(),
})

export function arRowOut(r: ArRow, level: string, targets: { availability: number; reliability: number }): z.infer<typeof ArRowOut> {
  return {
    group: r.group,
    ...(level !== 'group' ? { service: r.service } : {}),
    ...(level === 'endpoint' ? { hostname: r.hostname } : {}),
    period: r.period,
    ...r.figures,
    days: r.days,
    computed_days: r.computed_days,
    ...(r.breaches ? { target_availability: targets.availability, target_reliability: targets.reliability, breach: r.figures.excluded >= 1 ? null : r.breaches.any } : {}),
  }
}

export const availabilityRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps

  app.get(
    '/v1/availability/:report',
    {
      config: { audit: 'report.availability' },
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider', 'funder']),
      schema: {
        description:
          'Availability and reliability per day, month or the whole range, at group, service or endpoint level (ARGO semantics: each level from ' +
          'its own timeline; months and ranges time-weighted from exact seconds). A/R in percent with 5 decimals, null when undefined; ' +
          'uptime/unknown/downtime/excluded as fractions 0–1. Month and range rows carry the targets and `breach`. Provider tokens see ' +
          'their own groups; funder tokens monthly figures only.',
        params: ReportParams,
        querystring: z.object({
          from: DayString,
          to: DayString,
          granularity: z.enum(['day', 'month', 'range']).default('day'),
          level: z.enum(['group', 'service', 'endpoint']).default('group'),
          group: z.string().min(1).max(256).optional(),
          format: z.enum(['json', 'csv']).default('json'),
        }),
        response: { 200: ArResponse },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req)
      const q = req.query
      if (principal.role === 'funder' && q.granularity !== 'month') throw forbidden('funder tokens may read monthly figures only (granularity=month)')
      await monitoring.refresh(req.params.report)
      const targets = monitoring.availability.thresholds(req.params.report)
      const rows = (
        await monitoring.availability.ar({
          report: req.params.report,
          from: q.from,
          to: q.to,
          granularity: q.granularity,
          level: q.level,
          group: q.group,
          scope: providerScope(principal),
        })
      ).map((r) => arRowOut(r, q.level, targets))
      if (q.format === 'csv') {
        const columns = [
          'group', ...(q.level !== 'group' ? ['service'] : []), ...(q.level === 'endpoint' ? ['hostname'] : []),
          'period', 'availability', 'reliability', 'uptime', 'unknown', 'downtime', 'excluded', 'days', 'computed_days',
          ...(q.granularity !== 'day' ? ['target_availability', 'target_reliability', 'breach'] : []),
        ]
        return reply.type('text/csv; charset=utf-8').send(toCsv(columns, rows) as never)
      }
      return { rows, report: req.params.report, from: q.from, to: q.to, granularity: q.granularity, level: q.level }
    },
  )
}
