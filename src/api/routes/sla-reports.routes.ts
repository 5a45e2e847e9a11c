import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { OperationsProfile } from '../../aggregators/availability/operations-profile.js'
import { AggregationProfile, MetricProfile, SlaReport, Thresholds } from '../../aggregators/availability/profiles.js'
import { RecomputationOut, RecomputationRequest, recomputationOut } from '../../monitoring/recomputation-store.js'
import { REPORT_NAME, type StoredReport } from '../../monitoring/sla-report-store.js'
import { notFound } from '../../platform/errors.js'
import { principalOf, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const Params = z.object({ name: z.string().regex(REPORT_NAME, 'letters, digits and _ . - (max 128), starting with a letter or digit') })

const ReportOut = z.object({
  name: z.string(),
  updated_at: z.string(),
  groups: z.array(z.string()).optional(),
  metric_profile: MetricProfile,
  aggregation_profile: AggregationProfile,
  operations_profile: OperationsProfile,
  thresholds: Thresholds,
})

const reportOut = (r: StoredReport) => ({ name: r.name, updated_at: r.updated_at, ...r.definition })

export const slaReportRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps
  const report = (name: string) => {
    const r = monitoring.reports.get(name)
    if (r === undefined) throw notFound(`no SLA report '${name}'`)
    return r
  }

  app.put(
    '/v1/sla-reports/:name',
    {
      preValidation: requireRole(deps.tokens, ['admin']),
      schema: {
        description:
          'Create or replace an SLA report definition in ARGO profile shapes. Defaults: every group, ARGO egi_ops operations profile, ' +
          'thresholds availability 80, reliability 85, uptime 80, unknown 10, downtime 10 (percent). Its days are recomputed.',
        params: Params,
        body: SlaReport,
        response: { 200: ReportOut, 201: ReportOut },
      },
    },
    async (req, reply) => {
      const { report: stored, created } = await monitoring.changes.putReport(req.params.name, req.body, principalOf(req).name)
      return reply.code(created ? 201 : 200).send(reportOut(stored))
    },
  )

  app.get(
    '/v1/sla-reports/:name',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider', 'funder', 'monitor']),
      schema: { params: Params, response: { 200: ReportOut } },
    },
    async (req) => {
      await monitoring.reports.refresh(() => monitoring.reports.get(req.params.name) !== undefined)
      return reportOut(report(req.params.name))
    },
  )

  app.get(
    '/v1/sla-reports',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider', 'funder', 'monitor']),
      schema: { response: { 200: z.object({ rows: z.array(ReportOut) }) } },
    },
    async () => {
      await monitoring.reports.refresh()
      return { rows: monitoring.reports.list().map(reportOut) }
    },
  )

  app.post(
    '/v1/sla-reports/:name/recomputations',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager']),
      schema: {
        description:
          'Take a monitoring outage out of the figures (audited, with a reason): exclude a monitoring host\'s results, count a group as ' +
          'UNKNOWN, or make a metric EXCLUDED over `[start, end)`. Affected days are recomputed; the monthly report lists it.',
        params: Params,
        body: RecomputationRequest,
        response: { 201: RecomputationOut },
      },
    },
    async (req, reply) => {
      report(req.params.name)
      const principal = principalOf(req)
      const stored = await monitoring.changes.addRecomputation(req.params.name, req.body, principal.name)
      req.log.info({ audit: 'recomputation', report: req.params.name, id: stored.id, kind: req.body.kind, by: principal.name }, 'recomputation requested')
      return reply.code(201).send(recomputationOut(stored))
    },
  )

  app.get(
    '/v1/sla-reports/:name/recomputations',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager']),
      schema: { params: Params, response: { 200: z.object({ rows: z.array(RecomputationOut) }) } },
    },
    async (req) => {
      report(req.params.name)
      await monitoring.recomputations.load()
      return { rows: monitoring.recomputations.of(req.params.name).map(recomputationOut) }
    },
  )
}
