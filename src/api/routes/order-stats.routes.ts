import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { suppressSmallCells } from '../../aggregators/suppression.js'
import type { Dimension } from '../../aggregators/usage-query.schema.js'
import type { UsageCell } from '../../aggregators/usage-report.js'
import { orderStats, STAT_DIMENSIONS, type OrderStatCell, type StatDimension } from '../../orders/order-queries.js'
import { STATUS_TYPES } from '../../orders/order-types.js'
import { csvList, DayOrMonth, rangeOf } from '../../orders/order-view.schema.js'
import { toCsv } from '../../reports/csv.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const StatsQuery = z
  .object({
    group_by: csvList.pipe(z.array(z.enum(STAT_DIMENSIONS))).default(['status']),
    resource: csvList.optional(),
    status: csvList.pipe(z.array(z.enum(STATUS_TYPES))).optional(),
    from: DayOrMonth.optional(),
    to: DayOrMonth.optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .superRefine((q, ctx) => {
    const r = rangeOf(q)
    if (r.from !== undefined && r.to !== undefined && r.from >= r.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must not be after to' })
  })

const StatRowOut = z.object({
  status: z.string().optional(),
  order_type: z.string().optional(),
  customer_typology: z.string().optional(),
  scientific_domain: z.string().optional(),
  resource: z.string().optional(),
  provider: z.string().optional(),
  orders: z.number().int().nullable(),
  active_orders: z.number().int().nullable(),
  owners: z.number().int().nullable(),
  suppressed: z.boolean(),
})

export const orderStatsRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.get(
    '/v1/orders/stats',
    {
      config: { audit: 'report.orders' },
      preHandler: requireRole(deps.tokens, ['admin', 'provider', 'funder']),
      schema: {
        description:
          'Order counts by status, order type, customer typology, scientific domain, resource or provider (`group_by`), for orders whose ' +
          'lifetime overlaps `from`/`to`; `active_orders` were active in that range; `owners` are distinct owners. No order refs or owners ' +
          'are ever listed. Funder tokens get cells with fewer than k distinct owners suppressed, with complementary suppression.',
        querystring: StatsQuery,
        response: { 200: z.object({ rows: z.array(StatRowOut), group_by: z.array(z.string()), suppression_k: z.number().int().nullable() }) },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req)
      const q = req.query
      const groupBy = [...new Set(q.group_by)]
      const cells = await orderStats(
        deps.store,
        await deps.orders.providers.map(),
        { ...rangeOf(q), groupBy, ...(q.resource ? { resources: q.resource } : {}), ...(q.status ? { statuses: q.status } : {}) },
        providerScope(principal),
      )
      const funder = principal.role === 'funder'
      const rows = (funder ? suppress(cells, deps.config.suppressionK, groupBy) : cells.map((c) => ({ ...c, suppressed: false }))).map((c) => ({
        ...c.dims,
        orders: c.orders,
        active_orders: c.active_orders,
        owners: c.owners,
        suppressed: c.suppressed,
      }))
      if (q.format === 'csv') {
        const columns = [...groupBy, 'orders', 'active_orders', 'owners', 'suppressed']
        return reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="order-stats.csv"').send(toCsv(columns, rows) as never)
      }
      return { rows, group_by: groupBy, suppression_k: funder ? deps.config.suppressionK : null }
    },
  )
}

type Suppressed = Omit<OrderStatCell, 'orders' | 'active_orders' | 'owners'> & { orders: number | null; active_orders: number | null; owners: number | null; suppressed: boolean }

/**
 * The usage report's small-cell rule, applied to order counts: a cell with fewer than `k` distinct
 * owners is hidden, with complementary suppression along each grouped dimension. The algorithm only
 * reads `dims`, `users` and `value`, so stat cells pass through it as usage cells.
 */
function suppress(cells: readonly OrderStatCell[], k: number, groupBy: readonly StatDimension[]): Suppressed[] {
  const asUsage: UsageCell[] = cells.map((c) => ({
    period: '',
    dims: c.dims as UsageCell['dims'],
    metric: '',
    unit: '',
    value: c.orders,
    records: c.orders,
    users: c.owners,
    suppressed: false,
  }))
  const out = suppressSmallCells(asUsage, k, groupBy as unknown as Dimension[])
  return cells.map((c, i) =>
    out[i]!.suppressed ? { dims: c.dims, orders: null, active_orders: null, owners: null, suppressed: true } : { ...c, suppressed: false },
  )
}
