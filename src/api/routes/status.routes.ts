import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { STATUSES } from '../../aggregators/availability/status.js'
import { DayString } from '../../monitoring/topology.schema.js'
import { toCsv } from '../../reports/csv.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'
import { ReportParams } from './availability.routes.js'

const Timeline = z.object({
  group: z.string(),
  function: z.string().optional(),
  service: z.string().optional(),
  hostname: z.string().optional(),
  metric: z.string().optional(),
  statuses: z.array(z.object({ timestamp: z.string(), status: z.enum(STATUSES) })),
})

const LEVEL_KEYS = {
  group: [],
  function: ['function'],
  service: ['service'],
  endpoint: ['service', 'hostname'],
  metric: ['service', 'hostname', 'metric'],
} as const

export const statusRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps

  app.get(
    '/v1/status/:report',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider']),
      schema: {
        description:
          'Status timelines (change points, second resolution, UTC) at group, function, service, endpoint or metric level; each status holds ' +
          'until the next one, the first is the state at `from` 00:00:00Z. DOWNTIME marks scheduled downtime, MISSING no data, ' +
          'EXCLUDED a recomputation. Provider tokens see their own groups.',
        params: ReportParams,
        querystring: z.object({
          from: DayString,
          to: DayString,
          level: z.enum(['group', 'function', 'service', 'endpoint', 'metric']).default('group'),
          group: z.string().min(1).max(256).optional(),
          service: z.string().min(1).max(256).optional(),
          hostname: z.string().min(1).max(256).optional(),
          metric: z.string().min(1).max(256).optional(),
          format: z.enum(['json', 'csv']).default('json'),
        }),
        response: { 200: z.object({ rows: z.array(Timeline), report: z.string(), from: z.string(), to: z.string(), level: z.string() }) },
      },
    },
    async (req, reply) => {
      const q = req.query
      await monitoring.refresh(req.params.report)
      const timelines = await monitoring.availability.status({
        report: req.params.report,
        from: q.from,
        to: q.to,
        level: q.level,
        group: q.group,
        service: q.service,
        hostname: q.hostname,
        metric: q.metric,
        scope: providerScope(principalOf(req)),
      })
      const keys = LEVEL_KEYS[q.level]
      const rows = timelines.map((t) => ({ group: t.group, ...Object.fromEntries(keys.map((k) => [k, t[k]])), statuses: [...t.statuses] }))
      if (q.format === 'csv') {
        const columns = ['group', ...keys, 'timestamp', 'status']
        const flat = rows.flatMap((r) => r.statuses.map((s) => ({ ...r, ...s })))
        return reply.type('text/csv; charset=utf-8').send(toCsv(columns, flat) as never)
      }
      return { rows, report: req.params.report, from: q.from, to: q.to, level: q.level }
    },
  )
}
