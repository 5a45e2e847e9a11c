import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { getOrderView, listOrders } from '../../orders/order-queries.js'
import { pushOrder } from '../../orders/order-push.js'
import { STATUS_TYPES } from '../../orders/order-types.js'
import {
  csvList,
  DayOrMonth,
  ORDER_CSV_COLUMNS,
  orderCsvRow,
  OrderOut,
  OrderPushBody,
  OrderRefParam,
  rangeOf,
  toOrderOut,
} from '../../orders/order-view.schema.js'
import { orderAvailability } from '../../orders/order-availability.js'
import { orderUsage } from '../../orders/usage-linkage.queries.js'
import { badRequest, notFound } from '../../platform/errors.js'
import { toCsv } from '../../reports/csv.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const Range = { from: DayOrMonth.optional(), to: DayOrMonth.optional() }
const checkRange = (q: { from?: string; to?: string }, ctx: z.RefinementCtx) => {
  const r = rangeOf(q)
  if (r.from !== undefined && r.to !== undefined && r.from >= r.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must not be after to' })
}

const ListQuery = z
  .object({
    ...Range,
    resource: csvList.optional(),
    status: csvList.pipe(z.array(z.enum(STATUS_TYPES))).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: z.string().max(200).optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .superRefine(checkRange)

const UsageQuery = z.object({ ...Range, format: z.enum(['json', 'csv']).default('json') }).superRefine(checkRange)

const METHODS = ['explicit_order_ref', 'user_resource_window', 'ambiguous'] as const
const UsageRowOut = z.object({
  period: z.string(),
  metric: z.string(),
  unit: z.string(),
  method: z.enum(METHODS),
  value: z.number(),
  records: z.number().int(),
  users: z.number().int(),
})
const UsageResponse = z.object({
  order_ref: z.string(),
  order: OrderOut.nullable(),
  rows: z.array(UsageRowOut),
  /** Records per link method: how each part of the usage was tied to the order. */
  linkage: z.object({ explicit_order_ref: z.number().int(), user_resource_window: z.number().int(), ambiguous: z.number().int() }),
})

const Figures = z.object({
  availability: z.number().nullable(),
  reliability: z.number().nullable(),
  uptime: z.number(),
  unknown: z.number(),
  downtime: z.number(),
})
const AvailabilityQuery = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM'),
  report: z.string().min(1).max(200).optional(),
})
const AvailabilityResponse = z.object({
  order_ref: z.string(),
  resource: z.string().nullable(),
  report: z.string(),
  month: z.string(),
  active_days: z.array(z.string()),
  groups: z.array(z.object({ group: z.string(), days: z.number().int(), computed_days: z.number().int() }).extend(Figures.shape)),
  figures: Figures.nullable(),
})

export const orderRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const readers = requireRole(deps.tokens, ['admin', 'provider'])

  app.put(
    '/v1/orders/:order_ref',
    {
      preHandler: requireRole(deps.tokens, ['admin']),
      schema: {
        description:
          'Push one order directly: the Marketplace project item JSON, optionally with its `project` (owner → pseudonym, typology, ' +
          'domains) and `observed_at` (when this status held; default now). Personal fields are dropped before storage. Merged with ' +
          'what is known about the order: status changes are never lost.',
        params: OrderRefParam,
        body: OrderPushBody,
        response: { 200: OrderOut, 201: OrderOut },
      },
    },
    async (req, reply) => {
      const ref = req.params.order_ref
      const existed = (await deps.orders.store.getOrders([ref])).length > 0
      const out = await pushOrder({ store: deps.orders.store, pseudonymise: (id) => deps.pseudonymiser.pseudonymise(id) }, ref, req.body)
      if (!out.ok) throw badRequest('INVALID_ORDER', out.errors.join('; '), out.errors)
      deps.metrics.orderItemsStored.inc({ via: 'push' })
      const view = await getOrderView(deps.store, await deps.orders.providers.map(), ref, '*')
      if (!view) throw new Error(`order ${ref} not readable right after it was stored`)
      return reply.code(existed ? 200 : 201).send(toOrderOut(view))
    },
  )

  app.get(
    '/v1/orders',
    {
      preHandler: readers,
      schema: {
        description:
          'Orders, by order_ref. `resource` (any alias), `status`, and `from`/`to` (orders whose lifetime — creation to closed/rejected — ' +
          'overlaps the range; `to` inclusive). Providers see orders of their own resources. Page with `after`=`next_after`.',
        querystring: ListQuery,
        response: { 200: z.object({ rows: z.array(OrderOut), next_after: z.string().nullable() }) },
      },
    },
    async (req, reply) => {
      const q = req.query
      const { rows, nextAfter } = await listOrders(
        deps.store,
        await deps.orders.providers.map(),
        { ...rangeOf(q), limit: q.limit, ...(q.resource ? { resources: q.resource } : {}), ...(q.status ? { statuses: q.status } : {}), ...(q.after ? { after: q.after } : {}) },
        providerScope(principalOf(req)),
      )
      const out = rows.map(toOrderOut)
      if (q.format === 'csv') {
        return reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="orders.csv"').send(toCsv(ORDER_CSV_COLUMNS, out.map(orderCsvRow)) as never)
      }
      return { rows: out, next_after: nextAfter }
    },
  )

  app.get(
    '/v1/orders/:order_ref',
    {
      preHandler: readers,
      schema: {
        description: 'One order: resource, offer, order type, current status, full status history and active windows.',
        params: OrderRefParam,
        response: { 200: OrderOut },
      },
    },
    async (req) => {
      const view = await getOrderView(deps.store, await deps.orders.providers.map(), req.params.order_ref, providerScope(principalOf(req)))
      if (!view) throw notFound(`no order ${req.params.order_ref} visible to this token`)
      return toOrderOut(view)
    },
  )

  app.get(
    '/v1/orders/:order_ref/usage',
    {
      preHandler: readers,
      schema: {
        description:
          'Usage of one order per month, metric and link method: records naming the order (`explicit_order_ref`), the owner’s records ' +
          'on its resource while it was active (`user_resource_window`), and records `ambiguous` between it and another active order ' +
          'of the same owner (listed, not attributed). Linkage is computed on every read, so late status events re-link.',
        params: OrderRefParam,
        querystring: UsageQuery,
        response: { 200: UsageResponse },
      },
    },
    async (req, reply) => {
      const ref = req.params.order_ref
      const scope = providerScope(principalOf(req))
      const view = await getOrderView(deps.store, await deps.orders.providers.map(), ref, scope)
      // An order not (yet) known still has the usage naming it; only admins may look at that.
      if (!view && scope !== '*') throw notFound(`no order ${ref} visible to this token`)
      await Promise.all([deps.catalog.load(), deps.aliases.ensureFresh()])
      const resource = view?.resolved.resource ?? null
      const windows = view?.state.active_windows ?? []
      await deps.settleUsage()
      const cells = await orderUsage(
        deps.store,
        deps.catalog,
        {
          order_ref: ref,
          resourceNames: resource ? [resource, ...deps.aliases.get(resource).aliases] : [],
          owner_pseudo: view?.state.owner_pseudo ?? null,
          span: windows.length
            ? {
                from: Math.min(...windows.map((w) => Date.parse(w.from))),
                to: windows.some((w) => w.to === null) ? null : Math.max(...windows.map((w) => Date.parse(w.to!))),
              }
            : null,
        },
        { ...rangeOf(req.query), providers: scope },
      )
      const rows = cells.map((c) => ({ ...c, unit: deps.catalog.get(c.metric)?.unit ?? '' }))
      if (req.query.format === 'csv') {
        const columns = ['period', 'metric', 'unit', 'method', 'value', 'records', 'users']
        return reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="order-usage.csv"').send(toCsv(columns, rows) as never)
      }
      const linkage = { explicit_order_ref: 0, user_resource_window: 0, ambiguous: 0 }
      for (const c of cells) linkage[c.method] += c.records
      return { order_ref: ref, order: view ? toOrderOut(view) : null, rows, linkage }
    },
  )

  app.get(
    '/v1/orders/:order_ref/availability',
    {
      preHandler: requireRole(deps.tokens, ['admin', 'provider', 'sla_manager']),
      schema: {
        description:
          'Availability and reliability of the order’s resource in a month, over the days the order was active only: the resource’s ' +
          'endpoint groups (topology `resource`, or an alias of it) from SLA report `report` (optional when only one report exists).',
        params: OrderRefParam,
        querystring: AvailabilityQuery,
        response: { 200: AvailabilityResponse },
      },
    },
    async (req) => {
      const ref = req.params.order_ref
      const view = await getOrderView(deps.store, await deps.orders.providers.map(), ref, providerScope(principalOf(req)))
      if (!view) throw notFound(`no order ${ref} visible to this token`)
      const names = deps.monitoring.reports.names()
      const report = req.query.report ?? (names.length === 1 ? names[0] : undefined)
      if (report === undefined) {
        throw badRequest('VALIDATION_FAILED', `querystring.report: required when there are ${names.length} SLA reports (${names.join(', ') || 'none'})`)
      }
      if (!names.includes(report)) throw notFound(`no SLA report ${report}`)
      await deps.aliases.ensureFresh()
      const resource = view.resolved.resource
      const out = await orderAvailability(
        { store: deps.store, monitoring: deps.monitoring },
        { report, month: req.query.month, resourceNames: resource ? [resource, ...deps.aliases.get(resource).aliases] : [], windows: view.state.active_windows },
      )
      return {
        order_ref: ref,
        resource,
        ...out,
        groups: out.groups.map((g) => ({ group: g.group, days: g.days, computed_days: g.computed_days, ...pickFigures(g.figures) })),
        figures: out.figures ? pickFigures(out.figures) : null,
      }
    },
  )
}

function pickFigures(f: z.infer<typeof Figures>): z.infer<typeof Figures> {
  return { availability: f.availability, reliability: f.reliability, uptime: f.uptime, unknown: f.unknown, downtime: f.downtime }
}
