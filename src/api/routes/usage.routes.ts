import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { suppressSmallCells } from '../../aggregators/suppression.js'
import { DIMENSIONS } from '../../aggregators/usage-query.schema.js'
import { UsageQuery } from '../../aggregators/usage-query.schema.js'
import { usageReport, type UsageCell } from '../../aggregators/usage-report.js'
import { AppError } from '../../platform/errors.js'
import { toCsv } from '../../reports/csv.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const UsageRowOut = z
  .object({
    period: z.string(),
    metric: z.string(),
    unit: z.string(),
    value: z.number().nullable(),
    records: z.number().int().nullable(),
    users: z.number().int().nullable(),
    suppressed: z.boolean(),
    // Only the grouped dimensions appear; anything else is stripped by this schema on the way out.
    provider: z.string().optional(),
    resource: z.string().optional(),
    group: z.string().optional(),
    order: z.string().optional(),
    installation: z.string().optional(),
  })

const UsageResponse = z.object({
  rows: z.array(UsageRowOut),
  from: z.string(),
  to: z.string(),
  granularity: z.string(),
  group_by: z.array(z.string()),
  suppression_k: z.number().int().nullable(),
})

export const usageRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/v1/usage',
    {
      config: { audit: 'report.usage' },
      preHandler: requireRole(deps.tokens, ['admin', 'provider', 'funder']),
      schema: {
        description:
          'Usage per period and dimensions with distinct pseudonymous users. `to` is inclusive. Funder tokens get cells with fewer ' +
          'than k distinct users suppressed (value and users null), with complementary suppression; providers see only their own providers.',
        querystring: UsageQuery,
        response: { 200: UsageResponse },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req)
      const q = req.query
      const funder = principal.role === 'funder'
      if (funder && (q.groupBy.includes('order') || q.filters.order)) {
        throw new AppError(403, 'FORBIDDEN', 'order references are not available to funder tokens')
      }
      await deps.catalog.load()
      await deps.settleUsage()
      let cells = await usageReport(deps.store, deps.catalog, q, providerScope(principal))
      if (funder) cells = suppressSmallCells(cells, deps.config.suppressionK, q.groupBy)
      const rows = cells.map(flatten)
      const inclusiveTo = new Date(Date.parse(q.to) - 86_400_000).toISOString().slice(0, 10)
      if (q.format === 'csv') {
        const columns = ['period', ...q.groupBy, 'metric', 'unit', 'value', 'records', 'users', 'suppressed']
        return reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="usage.csv"').send(toCsv(columns, rows) as never)
      }
      return {
        rows,
        from: q.from,
        to: inclusiveTo,
        granularity: q.granularity,
        group_by: q.groupBy,
        suppression_k: funder ? deps.config.suppressionK : null,
      }
    },
  )
}

function flatten(c: UsageCell): z.infer<typeof UsageRowOut> {
  const dims: Record<string, string> = {}
  for (const d of DIMENSIONS) if (c.dims[d] !== undefined) dims[d] = c.dims[d]!
  return { period: c.period, ...dims, metric: c.metric, unit: c.unit, value: c.value, records: c.records, users: c.users, suppressed: c.suppressed }
}
