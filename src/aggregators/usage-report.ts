import { z } from 'zod'
import type { MetricCatalog } from '../catalog/metric-catalog.js'
import type { Store, Params } from '../platform/clickhouse/store.js'
import { COLUMN, DIMENSIONS, type Dimension, type UsageQuery } from './usage-query.schema.js'

export interface UsageCell {
  period: string
  dims: Partial<Record<Dimension, string>>
  metric: string
  unit: string
  value: number | null
  records: number
  users: number | null
  suppressed: boolean
}

const num = z.coerce.number()
const Row = z.object({ period: z.string(), metric: z.string(), value: num, records: num }).catchall(z.unknown())
const UsersRow = z.object({ period: z.string(), metric: z.string(), users: num }).catchall(z.unknown())

/**
 * Usage per period × dimensions × metric with distinct pseudonymous users.
 *
 * Additive (`sum`) metrics over whole months read the pre-aggregates (usage_daily and
 * usage_monthly_users), so a monthly report never rescans raw records. Level metrics
 * (max/avg/last) and day-aligned ranges read the deduplicated raw table. Both paths give the
 * same numbers (sums are Decimal(38,9)).
 */
export async function usageReport(store: Store, catalog: MetricCatalog, q: UsageQuery, scope: readonly string[] | '*'): Promise<UsageCell[]> {
  const aggs = catalog.list()
  const sumMetrics = aggs.filter((m) => m.aggregation === 'sum').map((m) => m.id)
  const monthAligned = q.from.endsWith('-01') && q.to.endsWith('-01') && q.granularity !== 'day'
  const where = filterSql(q, scope)
  const base: Params = {
    ...where.params,
    from: q.from,
    to: q.to,
    total: `${q.from}/${q.to}`,
    sum_metrics: sumMetrics,
    agg_ids: aggs.map((m) => m.id),
    agg_kinds: aggs.map((m) => m.aggregation),
  }
  const dims = q.groupBy.map((d) => `${COLUMN[d]} AS \`${d}\``)
  const dimKeys = q.groupBy.map((d) => `\`${d}\``)
  const outer = ['period', ...dimKeys, 'metric'].join(', ')

  const rows: UsageCell[] = []
  const rawOnly = monthAligned ? 'AND metric NOT IN {sum_metrics:Array(String)}' : ''
  const raw = await store.query(
    `SELECT period, ${[...dimKeys, ''].join(', ')} metric,
            toFloat64(sum(sv)) AS value, sum(n) AS records, uniqExactMerge(us) AS users
     FROM (
       SELECT ${periodExpr(q.granularity, 'at')} AS period, ${[...dims, ''].join(', ')} metric,
              transform(metric, {agg_ids:Array(String)}, {agg_kinds:Array(String)}, 'sum') AS agg,
              multiIf(agg = 'max', toDecimal128(max(value), 9), agg = 'avg', toDecimal128(avg(value), 9),
                      agg = 'last', toDecimal128(argMax(value, end), 9), sum(toDecimal128(value, 9))) AS sv,
              count() AS n,
              uniqExactStateIf(user_id, user_id != '') AS us
       FROM usage_records FINAL
       WHERE at >= toDateTime64({from:Date}, 3, 'UTC') AND at < toDateTime64({to:Date}, 3, 'UTC') ${where.sql} ${rawOnly}
       GROUP BY period, ${COLUMN_SERIES}, metric
     )
     GROUP BY ${outer}
     ORDER BY ${outer}`,
    base,
    Row.extend({ users: num }),
  )
  for (const r of raw) rows.push(toCell(r, q.groupBy, catalog, r.users))

  if (monthAligned && sumMetrics.length) {
    const [values, users] = await Promise.all([
      store.query(
        `SELECT ${periodExpr(q.granularity, 'day')} AS period, ${[...dims, ''].join(', ')} metric,
                toFloat64(sum(value)) AS value, sum(records) AS records
         FROM usage_daily
         WHERE day >= {from:Date} AND day < {to:Date} AND metric IN {sum_metrics:Array(String)} ${where.sql}
         GROUP BY ${outer} HAVING records != 0
         ORDER BY ${outer}`,
        base,
        Row,
      ),
      store.query(
        `SELECT ${outer}, count() AS users FROM (
           SELECT ${periodExpr(q.granularity, 'month')} AS period, ${[...dims, ''].join(', ')} metric, user_id, sum(records) AS r
           FROM usage_monthly_users
           WHERE month >= {from:Date} AND month < {to:Date} AND metric IN {sum_metrics:Array(String)} ${where.sql}
           GROUP BY ${outer}, user_id HAVING r > 0)
         GROUP BY ${outer}`,
        base,
        UsersRow,
      ),
    ])
    const usersByKey = new Map(users.map((u) => [cellKey(u, q.groupBy), u.users]))
    for (const v of values) rows.push(toCell(v, q.groupBy, catalog, usersByKey.get(cellKey(v, q.groupBy)) ?? 0))
  }
  return rows.sort(compareCells(q.groupBy))
}

/** A series is one provider/resource/metric/group/order/installation: levels combine within it first. */
const COLUMN_SERIES = DIMENSIONS.filter((d) => d !== 'metric').map((d) => COLUMN[d]).join(', ')

function periodExpr(g: UsageQuery['granularity'], col: string): string {
  switch (g) {
    case 'day':
      return `formatDateTime(${col}, '%Y-%m-%d', 'UTC')`
    case 'month':
      return `formatDateTime(${col}, '%Y-%m', 'UTC')`
    case 'year':
      return `formatDateTime(${col}, '%Y', 'UTC')`
    case 'total':
      return '{total:String}'
  }
}

function filterSql(q: UsageQuery, scope: readonly string[] | '*'): { sql: string; params: Params } {
  const parts: string[] = []
  const params: Params = {}
  for (const d of DIMENSIONS) {
    const values = q.filters[d]
    if (values) {
      parts.push(`${COLUMN[d]} IN {f_${d}:Array(String)}`)
      params[`f_${d}`] = values
    }
  }
  if (scope !== '*') {
    parts.push('provider IN {scope:Array(String)}')
    params.scope = scope
  }
  return { sql: parts.map((p) => `AND ${p}`).join(' '), params }
}

function cellKey(r: Record<string, unknown>, groupBy: readonly Dimension[]): string {
  return [r.period, ...groupBy.map((d) => r[d]), r.metric].join('\u0000')
}

function toCell(r: z.infer<typeof Row>, groupBy: readonly Dimension[], catalog: MetricCatalog, users: number): UsageCell {
  const dims: Partial<Record<Dimension, string>> = {}
  for (const d of groupBy) dims[d] = String(r[d] ?? '')
  return {
    period: r.period,
    dims,
    metric: r.metric,
    unit: catalog.get(r.metric)?.unit ?? '',
    value: Math.round(r.value * 1e9) / 1e9,
    records: r.records,
    users,
    suppressed: false,
  }
}

function compareCells(groupBy: readonly Dimension[]) {
  const key = (c: UsageCell) => [c.period, ...groupBy.map((d) => c.dims[d] ?? ''), c.metric]
  return (a: UsageCell, b: UsageCell) => {
    const ka = key(a)
    const kb = key(b)
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i] as string
      const y = kb[i] as string
      if (x !== y) return x < y ? -1 : 1
    }
    return 0
  }
}
