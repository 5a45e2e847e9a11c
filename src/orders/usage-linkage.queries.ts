import { z } from 'zod'
import type { MetricCatalog } from '../catalog/metric-catalog.js'
import type { Params, Store } from '../platform/clickhouse/store.js'
import type { LinkMethod } from './linkage.js'
import { RESOLVED_ORDERS_WITH, providerParams, type Scope } from './order-queries.js'

/**
 * Usage ↔ order linkage, computed at query time over the current order windows, so a late status
 * event (a window closed or opened after the usage arrived) re-links on the next read; nothing
 * materialised can go stale. The rule is `linkUsage` (linkage.ts), expressed in SQL:
 *
 * 1. the record names an order that is unknown, unresolved or of the record's resource → `explicit_order_ref`;
 * 2. else same pseudonymous user as the owner and same (canonical) resource, usage touching an
 *    active window: one such order → `user_resource_window`, more → `ambiguous`;
 * 3. else `resource_only`.
 *
 * Candidate orders are grouped per (resource, owner) and joined on those two keys, so each usage
 * row meets only its own user's orders on its resource: the cost is one scan of the usage rows
 * selected plus a hash join against the (small) orders table.
 */

/** Linkage never looks at providers of orders; the resolved-orders CTE still wants the parameters. */
const NO_PROVIDERS = providerParams({ pids: [], providers: [] })

const FAR = "toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC')"

/** `WITH` items adding `linked` (one row per usage record selected by `where`) to the resolved orders. */
function linkedWith(where: string): string {
  return `${RESOLVED_ORDERS_WITH},
  linked AS (
    SELECT u.provider AS provider, u.record_id AS record_id, u.ures AS resource, u.metric AS metric, u.value AS value,
           u.start AS start, u.end AS end, u.at AS at, u.user_id AS user_id, u.installation AS installation,
           u.order_ref AS named_ref,
           arraySort(arrayDistinct(arrayMap(o -> o.1, arrayFilter(
             o -> arrayExists((f, t) -> u.start < ifNull(t, ${FAR}) AND (u.end > f OR u.start >= f), o.2, o.3),
             c.cands)))) AS matches,
           u.order_ref != '' AND (k.order_ref = '' OR k.res = '' OR k.res = u.ures) AS explicit,
           multiIf(explicit, 'explicit_order_ref',
                   u.user_id != '' AND length(matches) = 1, 'user_resource_window',
                   u.user_id != '' AND length(matches) > 1, 'ambiguous',
                   'resource_only') AS method,
           multiIf(explicit, u.order_ref, method = 'user_resource_window', matches[1], '') AS linked_ref
    FROM (
      SELECT provider, record_id, transform(resource, amap.1, amap.2, resource) AS ures, metric, value, start, end, at,
             user_id, installation, order_ref
      FROM usage_records FINAL
      WHERE ${where}
    ) AS u
    LEFT JOIN (
      SELECT res, owner_pseudo, groupArray((order_ref, window_from, window_to)) AS cands
      FROM resolved_orders
      WHERE owner_pseudo != '' AND res != '' AND notEmpty(window_from)
      GROUP BY res, owner_pseudo
    ) AS c ON c.res = u.ures AND c.owner_pseudo = u.user_id
    LEFT JOIN (SELECT order_ref, res FROM resolved_orders) AS k ON k.order_ref = u.order_ref
  )`
}

export interface LinkedRow {
  provider: string
  record_id: string
  resource: string
  method: LinkMethod
  order_ref: string | null
  candidates: string[]
}

const LinkedRowSchema = z.object({
  provider: z.string(),
  record_id: z.string(),
  resource: z.string(),
  method: z.enum(['explicit_order_ref', 'user_resource_window', 'ambiguous', 'resource_only']),
  linked_ref: z.string(),
  matches: z.array(z.string()),
})

/**
 * The linkage of every usage record of some resources (any of their names) accounted in [from, to)
 * (epoch ms), ordered by (provider, record_id). For inspection and tests; reports aggregate instead.
 */
export async function linkUsageRows(store: Store, q: { resources: readonly string[]; from: number; to: number }): Promise<LinkedRow[]> {
  const rows = await store.query(
    `WITH ${linkedWith(`at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
                        AND transform(resource, amap.1, amap.2, resource) IN arrayMap(r -> transform(r, amap.1, amap.2, r), {resources:Array(String)})`)}
     SELECT provider, record_id, resource, method, linked_ref, matches FROM linked ORDER BY provider, record_id`,
    { ...NO_PROVIDERS, resources: q.resources, from: q.from, to: q.to },
    LinkedRowSchema,
  )
  return rows.map((r) => ({
    provider: r.provider,
    record_id: r.record_id,
    resource: r.resource,
    method: r.method,
    order_ref: r.linked_ref || null,
    candidates: r.method === 'ambiguous' ? r.matches : [],
  }))
}

/** What the usage query needs to know about the order. */
export interface OrderForUsage {
  order_ref: string
  /** The order's canonical resource and every name it goes by; empty when unresolved. */
  resourceNames: readonly string[]
  owner_pseudo: string | null
  /** Epoch ms span covering every active window (`to` null: still open). */
  span: { from: number; to: number | null } | null
}

export interface OrderUsageCell {
  period: string
  metric: string
  method: Exclude<LinkMethod, 'resource_only'>
  value: number
  records: number
  users: number
}

const num = z.coerce.number()
const CellRow = z.object({
  period: z.string(),
  metric: z.string(),
  method: z.enum(['explicit_order_ref', 'user_resource_window', 'ambiguous']),
  value: num,
  records: num,
  users: num,
})

/**
 * The usage of one order per month × metric × link method: records linked to it, plus those
 * `ambiguous` between it and another order of the same owner (shown, never attributed). Levels
 * (max/avg/last) combine within a provider/resource/installation series first, as in /v1/usage.
 * Only records that could link to the order are scanned: those naming it, and the owner's records
 * on the order's resource within its active span.
 */
export async function orderUsage(
  store: Store,
  catalog: MetricCatalog,
  order: OrderForUsage,
  q: { from?: number; to?: number; providers: Scope },
): Promise<OrderUsageCell[]> {
  const aggs = catalog.list()
  const params: Params = {
    ...NO_PROVIDERS,
    ref: order.order_ref,
    agg_ids: aggs.map((m) => m.id),
    agg_kinds: aggs.map((m) => m.aggregation),
  }
  const candidates = ['order_ref = {ref:String}']
  if (order.owner_pseudo && order.span && order.resourceNames.length) {
    candidates.push(`(resource IN {names:Array(String)} AND user_id = {owner:String}
                      AND end >= fromUnixTimestamp64Milli({span_from:Int64}, 'UTC')
                      AND start < fromUnixTimestamp64Milli({span_to:Int64}, 'UTC'))`)
    Object.assign(params, {
      names: order.resourceNames,
      owner: order.owner_pseudo,
      span_from: order.span.from,
      span_to: order.span.to ?? Date.UTC(2299, 11, 31),
    })
  }
  const where = [`(${candidates.join(' OR ')})`]
  if (q.from !== undefined) {
    where.push("at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')")
    params.from = q.from
  }
  if (q.to !== undefined) {
    where.push("at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')")
    params.to = q.to
  }
  if (q.providers !== '*') {
    where.push('provider IN {providers:Array(String)}')
    params.providers = q.providers
  }
  const rows = await store.query(
    `WITH ${linkedWith(where.join(' AND '))}
     SELECT period, metric, method, toFloat64(sum(sv)) AS value, sum(n) AS records, uniqExactMerge(us) AS users
     FROM (
       SELECT formatDateTime(at, '%Y-%m', 'UTC') AS period, metric, method,
              transform(metric, {agg_ids:Array(String)}, {agg_kinds:Array(String)}, 'sum') AS agg,
              multiIf(agg = 'max', toDecimal128(max(value), 9), agg = 'avg', toDecimal128(avg(value), 9),
                      agg = 'last', toDecimal128(argMax(value, end), 9), sum(toDecimal128(value, 9))) AS sv,
              count() AS n,
              uniqExactStateIf(user_id, user_id != '') AS us
       FROM linked
       WHERE linked_ref = {ref:String} OR (method = 'ambiguous' AND has(matches, {ref:String}))
       GROUP BY period, metric, method, provider, resource, installation
     )
     GROUP BY period, metric, method
     ORDER BY period, metric, method`,
    params,
    CellRow,
  )
  return rows.map((r) => ({ ...r, value: Math.round(r.value * 1e9) / 1e9 }))
}
