import { z } from 'zod'
import { ALIAS_MAP_SQL } from '../catalog/resource-aliases.js'
import type { ProviderMap } from '../catalog/resource-providers.js'
import type { Params, Store } from '../platform/clickhouse/store.js'
import type { OrderResource } from './order-resource.js'
import { ORDER_STATE_SELECT, OrderStateRow, rowToState } from './order-row.js'
import type { OrderState, StatusType } from './order-types.js'

/**
 * Read queries over `orders` for the API. An order's resource and provider are resolved here, in
 * SQL, on every read (the rule of `resolveOrderResource`): `oms_params.resource_pid` canonicalised
 * through the aliases, else the service name through the aliases; the provider declared for that
 * resource, else `oms_params.provider`. Aliases registered after an order arrived therefore apply.
 */

/**
 * `WITH` items: `amap` and `resolved_orders` (the orders with `res`, `res_via`, `prov`). Needs the
 * `pmap_pids` and `pmap_providers` parameters (`providerParams`): resource owners come from the
 * topology and the alias registry, resolved in TypeScript (resource-providers.ts).
 */
export const RESOLVED_ORDERS_WITH = `
  ${ALIAS_MAP_SQL} AS amap,
  ({pmap_pids:Array(String)}, {pmap_providers:Array(String)}) AS pmap,
  resolved_orders AS (
    SELECT *,
      multiIf(resource_pid != '', transform(resource_pid, amap.1, amap.2, resource_pid),
              service_name != '', transform(service_name, amap.1, amap.2, ''), '') AS res,
      multiIf(resource_pid != '', 'oms_params', res != '', 'alias', 'unresolved') AS res_via,
      transform(res, pmap.1, pmap.2, provider_hint) AS prov
    FROM orders FINAL
  )`

export const providerParams = (m: ProviderMap): Params => ({ pmap_pids: m.pids, pmap_providers: m.providers })

/** An order with what its resource and provider resolve to now. */
export interface OrderView {
  state: OrderState
  resolved: OrderResource
}

const ViewRow = OrderStateRow.extend({ res: z.string(), res_via: z.enum(['oms_params', 'alias', 'unresolved']), prov: z.string() })

const toView = (r: z.infer<typeof ViewRow>): OrderView => ({
  state: rowToState(r),
  resolved: { resource: r.res || null, provider: r.prov || null, via: r.res_via },
})

/** `'*'` or the providers a caller may see; orders without a resolved provider are admin-only. */
export type Scope = readonly string[] | '*'

function scopeSql(scope: Scope, params: Params): string {
  if (scope === '*') return ''
  params.scope = scope
  return 'AND prov IN {scope:Array(String)}'
}

export async function getOrderView(store: Store, providers: ProviderMap, orderRef: string, scope: Scope): Promise<OrderView | null> {
  const params: Params = { ...providerParams(providers), ref: orderRef }
  const rows = await store.query(
    `WITH ${RESOLVED_ORDERS_WITH}
     SELECT ${ORDER_STATE_SELECT}, res, res_via, prov FROM resolved_orders WHERE order_ref = {ref:String} ${scopeSql(scope, params)}`,
    params,
    ViewRow,
  )
  return rows[0] ? toView(rows[0]) : null
}

export interface OrderListQuery {
  /** Resource names; aliases are canonicalised before matching. */
  resources?: readonly string[]
  statuses?: readonly StatusType[]
  /** Epoch ms, [from, to): orders whose lifetime (creation → closed/rejected, or now) overlaps it. */
  from?: number
  to?: number
  /** Keyset pagination: orders after this `order_ref`. */
  after?: string
  limit: number
}

/** An order's lifetime: from its first known status to the moment it reached a final one. */
const LIFETIME = `
  if(notEmpty(status_history), toNullable(status_history[1].at), first_event_at) AS life_from,
  if(status IN ('closed', 'rejected') AND notEmpty(status_history), toNullable(status_history[-1].at), NULL) AS life_to`

function filterSql(q: Omit<OrderListQuery, 'limit' | 'after'>, params: Params): string {
  const parts: string[] = []
  if (q.resources?.length) {
    parts.push('res IN arrayMap(r -> transform(r, amap.1, amap.2, r), {resources:Array(String)})')
    params.resources = q.resources
  }
  if (q.statuses?.length) {
    parts.push('status IN {statuses:Array(String)}')
    params.statuses = q.statuses
  }
  if (q.from !== undefined) {
    parts.push("(life_to IS NULL OR life_to > fromUnixTimestamp64Milli({from:Int64}, 'UTC'))")
    params.from = q.from
  }
  if (q.to !== undefined) {
    parts.push("(life_from IS NULL OR life_from < fromUnixTimestamp64Milli({to:Int64}, 'UTC'))")
    params.to = q.to
  }
  return parts.map((p) => `AND ${p}`).join(' ')
}

export async function listOrders(
  store: Store,
  providers: ProviderMap,
  q: OrderListQuery,
  scope: Scope,
): Promise<{ rows: OrderView[]; nextAfter: string | null }> {
  const params: Params = { ...providerParams(providers), after: q.after ?? '', limit: q.limit + 1 }
  const rows = await store.query(
    `WITH ${RESOLVED_ORDERS_WITH}
     SELECT ${ORDER_STATE_SELECT}, res, res_via, prov, ${LIFETIME}
     FROM resolved_orders
     WHERE order_ref > {after:String} ${filterSql(q, params)} ${scopeSql(scope, params)}
     ORDER BY order_ref
     LIMIT {limit:UInt32}`,
    params,
    ViewRow,
  )
  const page = rows.slice(0, q.limit).map(toView)
  return { rows: page, nextAfter: rows.length > q.limit ? (page.at(-1)?.state.order_ref ?? null) : null }
}

export const STAT_DIMENSIONS = ['status', 'order_type', 'customer_typology', 'scientific_domain', 'resource', 'provider'] as const
export type StatDimension = (typeof STAT_DIMENSIONS)[number]

/** API dimension → SQL expression (a fixed whitelist: the only identifiers put into SQL text). */
const STAT_COLUMN: Record<StatDimension, string> = {
  status: 'status',
  order_type: 'order_type',
  customer_typology: 'customer_typology',
  scientific_domain: 'scientific_domain',
  resource: 'res',
  provider: 'prov',
}

export interface OrderStatCell {
  dims: Partial<Record<StatDimension, string>>
  /** Orders whose lifetime overlaps the range. */
  orders: number
  /** Of those, orders with an active window overlapping the range. */
  active_orders: number
  /** Distinct owner pseudonyms among them (orders with an unknown owner add none). */
  owners: number
}

const StatRow = z.object({ orders: z.coerce.number(), active_orders: z.coerce.number(), owners: z.coerce.number() }).catchall(z.unknown())

/**
 * Order counts per combination of dimensions. An order with several scientific domains counts
 * once in each of them when grouped by domain.
 */
export async function orderStats(
  store: Store,
  providers: ProviderMap,
  q: Omit<OrderListQuery, 'limit' | 'after'> & { groupBy: readonly StatDimension[] },
  scope: Scope,
): Promise<OrderStatCell[]> {
  const params: Params = { ...providerParams(providers), afrom: q.from ?? 0, ato: q.to ?? Date.UTC(2299, 11, 31) }
  const dims = q.groupBy.map((d) => `${STAT_COLUMN[d]} AS \`${d}\``)
  const keys = q.groupBy.map((d) => `\`${d}\``)
  const domains = q.groupBy.includes('scientific_domain')
    ? "ARRAY JOIN if(empty(scientific_domains), [''], scientific_domains) AS scientific_domain"
    : ''
  const rows = await store.query(
    `WITH ${RESOLVED_ORDERS_WITH}
     SELECT ${[...dims, ''].join(', ')}
            count() AS orders,
            countIf(arrayExists((f, t) -> f < fromUnixTimestamp64Milli({ato:Int64}, 'UTC')
                                       AND ifNull(t, toDateTime64('2299-12-31 23:59:59.999', 3, 'UTC')) > fromUnixTimestamp64Milli({afrom:Int64}, 'UTC'),
                                window_from, window_to)) AS active_orders,
            uniqExactIf(owner_pseudo, owner_pseudo != '') AS owners
     FROM (SELECT *, ${LIFETIME} FROM resolved_orders WHERE 1 ${filterSql(q, params)} ${scopeSql(scope, params)})
     ${domains}
     ${keys.length ? `GROUP BY ${keys.join(', ')} ORDER BY ${keys.join(', ')}` : ''}`,
    params,
    StatRow,
  )
  return rows.map((r) => {
    const cell: OrderStatCell = { dims: {}, orders: r.orders, active_orders: r.active_orders, owners: r.owners }
    for (const d of q.groupBy) cell.dims[d] = String(r[d] ?? '')
    return cell
  })
}
