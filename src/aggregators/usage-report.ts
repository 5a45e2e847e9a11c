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
  records: number | null
  users: number | null
  suppressed: boolean
}

const num = z.coerce.number()
const Row = z.object({ period: z.string(), metric: z.string(), value: num, records: num }).catchall(z.unknown())
const RowWithUsers = Row.extend({ users: num })
const UsersRow = z.object({ period: z.string(), metric: z.string(), users: num }).catchall(z.unknown())

/**
 * Usage per period × dimensions × metric with distinct pseudonymous users.
 *
 * Additive (`sum`) metrics over whole months read the monthly pre-aggregates: sums
 * and distinct-user sets (usage_monthly, with cells made dirty by a
 * replacement recounted from the raw records). A monthly report never rescans raw records.
 * Day-aligned ranges read sums and day-level distinct users from the deduplicated raw records in one pass. Level metrics (max/avg/last)
 * read usage_levels, the deduplicated records of level metrics alone. Sums are Decimal(38,9), so
 * every path gives the same exact numbers.
 */
export async function usageReport(store: Store, catalog: MetricCatalog, q: UsageQuery, scope: readonly string[] | '*'): Promise<UsageCell[]> {
  const defs = catalog.list()
  const levels = defs.filter((m) => m.aggregation !== 'sum')
  const wholeMonths = q.from.endsWith('-01') && q.to.endsWith('-01') && q.granularity !== 'day'
  const where = filterSql(q, scope)
  const p: Params = {
    ...where.params,
    from: q.from,
    to: q.to,
    total: `${q.from}/${q.to}`,
    level_ids: levels.map((m) => m.id),
    level_kinds: levels.map((m) => m.aggregation),
  }
  const dims = [...q.groupBy.map((d) => `${COLUMN[d]} AS \`${d}\``), ''].join(', ')
  const outer = ['period', ...q.groupBy.map((d) => `\`${d}\``), 'metric'].join(', ')
  const inRange = `at >= toDateTime64({from:Date}, 3, 'UTC') AND at < toDateTime64({to:Date}, 3, 'UTC')`

  const cell = 'metric, month, provider, resource, user_group, order_ref, installation'
  const monthRange = 'month >= {from:Date} AND month < {to:Date}'
  // Cells whose user set a replacement made inexact: usually none, so check before touching raw rows.
  const dirtyProviders = wholeMonths
    ? (await store.query(`SELECT DISTINCT provider FROM usage_users_dirty WHERE ${monthRange} ${where.sql}`, p, z.object({ provider: z.string() }))).map((r) => r.provider)
    : []
  p.dirty_providers = dirtyProviders
  const dirty = `(${cell}) IN (SELECT ${cell} FROM usage_users_dirty WHERE ${monthRange})`
  const recountDirty = dirtyProviders.length
    ? `UNION ALL
       SELECT ${periodExpr(q.granularity, 'at')} AS period, ${dims} metric, uniqExactState(user_id) AS u
       FROM usage_records FINAL
       WHERE provider IN {dirty_providers:Array(String)} AND ${inRange} AND metric NOT IN {level_ids:Array(String)} AND user_id != '' ${where.sql}
         AND (metric, toStartOfMonth(at), provider, resource, user_group, order_ref, installation) IN (SELECT ${cell} FROM usage_users_dirty WHERE ${monthRange})
       GROUP BY ${outer}`
    : ''
  const [sums, sumUsers, levelRows] = await Promise.all([
    wholeMonths
      ? store.query(
          `SELECT ${periodExpr(q.granularity, 'month')} AS period, ${dims} metric, toFloat64(sum(value)) AS value, sum(records) AS records
           FROM usage_monthly
           WHERE ${monthRange} AND metric NOT IN {level_ids:Array(String)} ${where.sql}
           GROUP BY ${outer} HAVING records != 0`,
          p,
          Row,
        )
      : // Day-aligned: one pass over the deduplicated records gives sums and distinct users together.
        store.query(
          `SELECT ${periodExpr(q.granularity, 'at')} AS period, ${dims} metric, toFloat64(sum(toDecimal128(value, 9))) AS value,
                  count() AS records, uniqExactIf(user_id, user_id != '') AS users
           FROM usage_records FINAL
           WHERE ${inRange} AND metric NOT IN {level_ids:Array(String)} ${where.sql}
           GROUP BY ${outer}`,
          p,
          RowWithUsers,
        ),
    wholeMonths
      ? // Clean cells merge their stored user sets; the rare dirty ones recount from the raw records.
        store.query(
          `SELECT ${outer}, uniqExactMerge(u) AS users FROM (
             SELECT ${periodExpr(q.granularity, 'month')} AS period, ${dims} metric, users AS u
             FROM usage_monthly
             WHERE ${monthRange} AND metric NOT IN {level_ids:Array(String)} ${where.sql} ${dirtyProviders.length ? `AND NOT ${dirty}` : ''}
             ${recountDirty})
           GROUP BY ${outer}`,
          p,
          UsersRow,
        )
      : Promise.resolve([]),
    levels.length === 0
      ? Promise.resolve([])
      : store.query(
          `SELECT ${outer}, toFloat64(sum(sv)) AS value, sum(n) AS records, uniqExactMerge(us) AS users
           FROM (
             SELECT ${periodExpr(q.granularity, 'at')} AS period, ${dims} metric,
                    transform(metric, {level_ids:Array(String)}, {level_kinds:Array(String)}, 'max') AS agg,
                    multiIf(agg = 'avg', toDecimal128(avg(value), 9), agg = 'last', toDecimal128(argMax(value, end), 9),
                            toDecimal128(max(value), 9)) AS sv,
                    count() AS n,
                    uniqExactStateIf(user_id, user_id != '') AS us
             FROM usage_levels FINAL
             WHERE ${inRange} AND metric IN {level_ids:Array(String)} ${where.sql}
             GROUP BY period, ${COLUMN_SERIES}, metric
           )
           GROUP BY ${outer}`,
          p,
          RowWithUsers,
        ),
  ])

  // Day-aligned rows carry their users; monthly ones take them from the user-set query.
  const withUsers = wholeMonths ? sumUsers : (sums as z.infer<typeof RowWithUsers>[])
  const usersByKey = new Map(withUsers.map((u) => [cellKey(u, q.groupBy), u.users]))
  const cells = sums.map((v) => toCell(v, q.groupBy, catalog, usersByKey.get(cellKey(v, q.groupBy)) ?? 0))
  for (const r of levelRows) cells.push(toCell(r, q.groupBy, catalog, r.users))
  return cells.sort(compareCells(q.groupBy))
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
