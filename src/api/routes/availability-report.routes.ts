import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AvailabilityReportDoc, scopeReport } from '../../reports/availability-report.js'
import { availabilityReportCsv } from '../../reports/availability-report.csv.js'
import { availabilityReportHtml } from '../../reports/availability-report.html.js'
import { REPORT_NAME } from '../../monitoring/sla-report-store.js'
import { badRequest } from '../../platform/errors.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const Params = z.object({
  report: z.string().regex(REPORT_NAME, 'not a report name'),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM'),
})
const Query = z.object({ format: z.enum(['json', 'csv', 'html']).default('json') })

export const availabilityReportRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps

  /** Refuses a month not started (or before 1970) and an unknown report, with current definitions. */
  const checkRequest = async ({ report, month }: z.infer<typeof Params>) => {
    if (`${month}-01` > monitoring.today()) throw badRequest('MONTH_NOT_STARTED', `${month} has not started yet`)
    if (month < '1970-01') throw badRequest('VALIDATION_FAILED', 'month: must be 1970-01 or later')
    await monitoring.refresh(report)
    monitoring.availability.report(report)
  }

  const send = (req: FastifyRequest, reply: FastifyReply, doc: AvailabilityReportDoc, format: 'json' | 'csv' | 'html', status: number) => {
    const scope = providerScope(principalOf(req))
    const visible = scope === '*' ? doc : scopeReport(doc, scope, monitoring.topology.groupsOfProviders(scope))
    const file = `availability-${doc.report}-${doc.month}`
    if (format === 'csv') {
      return reply.code(status).type('text/csv; charset=utf-8').header('Content-Disposition', `attachment; filename="${file}.csv"`).send(availabilityReportCsv(visible) as never)
    }
    if (format === 'html') return reply.code(status).type('text/html; charset=utf-8').send(availabilityReportHtml(visible) as never)
    return reply.code(status).send(visible)
  }

  app.get(
    '/v1/reports/availability/:report/:month',
    {
      config: { audit: 'report.availability' },
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider', 'funder']),
      schema: {
        description:
          'The monthly SLA report: per group A, R, uptime, unknown, downtime against the targets, breaches, daily values, and the ' +
          'downtimes and recomputations applied; JSON, CSV (one line per group) or a self-contained HTML page. Generated after the ' +
          'month closes (UTC); served from storage while its days are unchanged, regenerated when they changed. Provider tokens see ' +
          'their own groups.',
        params: Params,
        querystring: Query,
        response: { 200: AvailabilityReportDoc },
      },
    },
    async (req, reply) => {
      await checkRequest(req.params)
      const doc = await monitoring.availabilityReports.get(req.params.report, req.params.month)
      return send(req, reply, doc, req.query.format, 200)
    },
  )

  app.post(
    '/v1/reports/availability/:report/:month',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager']),
      schema: {
        description: 'Generate (or regenerate) the monthly report now and store it; a month whose data did not change gives the same figures.',
        params: Params,
        querystring: Query,
        response: { 201: AvailabilityReportDoc },
      },
    },
    async (req, reply) => {
      await checkRequest(req.params)
      const doc = await monitoring.availabilityReports.generate(req.params.report, req.params.month)
      monitoring.metrics.reportsGenerated.inc({ trigger: 'api' })
      return send(req, reply, doc, req.query.format, 201)
    },
  )
}
