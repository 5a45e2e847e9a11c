import { z } from 'zod'
import type { StatusSeconds } from '../aggregators/availability/availability.js'
import { STATUSES, type Status } from '../aggregators/availability/status.js'
import type { Store } from '../platform/clickhouse/store.js'
import { badRequest } from '../platform/errors.js'

/**
 * Reads of the materialised tables. Every read takes, per (day, group), only the rows of the
 * current computation (the version `availability_groups` names), and no group whose current
 * computation says it left the report.
 */
function current(groupFilter: boolean): string {
  return `(day, endpoint_group, version) IN (
    SELECT day, endpoint_group, max(version) FROM availability_groups
    WHERE report = {report:String} AND day >= {from:Date} AND day <= {to:Date} ${groupFilter ? 'AND endpoint_group IN {groups:Array(String)}' : ''}
    GROUP BY day, endpoint_group HAVING argMax(present, version) = 1)`
}

/** Groups of the report whose current computation of the day has them present. */
export async function presentGroups(store: Store, report: string, day: string): Promise<string[]> {
  const rows = await store.query(
    `SELECT endpoint_group AS group FROM availability_groups WHERE report = {report:String} AND day = {day:Date}
     GROUP BY endpoint_group HAVING argMax(present, version) = 1`,
    { report, day },
    z.object({ group: z.string() }),
  )
  return rows.map((r) => r.group)
}

/** The stored start-of-day signature of each group's current computation (absent = never computed). */
export async function carryInOf(store: Store, report: string, day: string, groups: readonly string[]): Promise<Map<string, string>> {
  const rows = await store.query(
    `SELECT endpoint_group AS group, argMax(carry_in, version) AS carry_in FROM availability_groups
     WHERE report = {report:String} AND day = {day:Date} AND endpoint_group IN {groups:Array(String)}
     GROUP BY endpoint_group HAVING argMax(present, version) = 1`,
    { report, day, groups },
    z.object({ group: z.string(), carry_in: z.string() }),
  )
  return new Map(rows.map((r) => [r.group, r.carry_in]))
}

export type ArLevel = 'group' | 'service' | 'endpoint'

export interface DailyRow {
  readonly day: string
  readonly group: string
  readonly service: string
  readonly hostname: string
  readonly seconds: StatusSeconds
}

/** Seconds per status, in STATUSES order (a month of groups is ~3,000 rows: arrays parse cheaply). */
const DailySchema = z.object({
  day: z.string(),
  group: z.string(),
  service: z.string(),
  hostname: z.string(),
  seconds: z.array(z.number().int().min(0)).length(STATUSES.length),
})

export interface RangeQuery {
  readonly report: string
  readonly from: string
  readonly to: string
  /** Only these groups (undefined = all). */
  readonly groups?: readonly string[]
}

/** Daily seconds per status of every item of a level, in (group, service, hostname, day) order. */
export async function dailyRows(store: Store, q: RangeQuery & { level: ArLevel }): Promise<DailyRow[]> {
  const groupFilter = q.groups !== undefined
  if (groupFilter && q.groups.length === 0) return []
  const rows = await store.query(
    `SELECT day, endpoint_group AS group, service, hostname,
            [${STATUSES.map((s) => `seconds_${s.toLowerCase()}`).join(', ')}] AS seconds
     FROM availability_daily
     WHERE report = {report:String} AND level = {level:String} AND day >= {from:Date} AND day <= {to:Date}
       ${groupFilter ? 'AND endpoint_group IN {groups:Array(String)}' : ''} AND ${current(groupFilter)}
     ORDER BY endpoint_group, service, hostname, day`,
    { report: q.report, level: q.level, from: q.from, to: q.to, ...(groupFilter ? { groups: q.groups } : {}) },
    DailySchema,
  )
  return rows.map((r) => {
    const seconds = {} as Record<Status, number>
    STATUSES.forEach((status, i) => {
      seconds[status] = r.seconds[i] ?? 0
    })
    return { day: r.day, group: r.group, service: r.service, hostname: r.hostname, seconds }
  })
}

export type StatusLevel = 'group' | 'function' | 'service' | 'endpoint' | 'metric'

export interface StatusRow {
  readonly day: string
  readonly group: string
  readonly function: string
  readonly service: string
  readonly hostname: string
  readonly metric: string
  /** Seconds after the day's 00:00:00Z. */
  readonly at: number
  readonly status: Status
}

const StatusSchema = z.object({
  day: z.string(),
  group: z.string(),
  function: z.string(),
  service: z.string(),
  hostname: z.string(),
  metric: z.string(),
  at: z.coerce.number(),
  status: z.enum(STATUSES),
})

/** A status read may not return more change points than this; narrow it by group or days. */
export const MAX_STATUS_POINTS = 200_000

/** Status change points of a level, in (group, function, service, hostname, metric, day, at) order. */
export async function statusRows(
  store: Store,
  q: RangeQuery & { level: StatusLevel; service?: string; hostname?: string; metric?: string },
): Promise<StatusRow[]> {
  const groupFilter = q.groups !== undefined
  if (groupFilter && q.groups.length === 0) return []
  const filters = [
    q.service === undefined ? '' : 'AND service = {service:String}',
    q.hostname === undefined ? '' : 'AND hostname = {hostname:String}',
    q.metric === undefined ? '' : 'AND metric = {metric:String}',
  ].join(' ')
  const rows = await store.query(
    `SELECT day, endpoint_group AS group, function, service, hostname, metric, at, argMax(status, version) AS status
     FROM availability_status
     WHERE report = {report:String} AND level = {level:String} AND day >= {from:Date} AND day <= {to:Date}
       ${groupFilter ? 'AND endpoint_group IN {groups:Array(String)}' : ''} ${filters} AND ${current(groupFilter)}
     GROUP BY day, endpoint_group, function, service, hostname, metric, at
     ORDER BY endpoint_group, function, service, hostname, metric, day, at
     LIMIT {limit:UInt32}`,
    {
      report: q.report,
      level: q.level,
      from: q.from,
      to: q.to,
      limit: MAX_STATUS_POINTS + 1,
      ...(groupFilter ? { groups: q.groups } : {}),
      ...(q.service === undefined ? {} : { service: q.service }),
      ...(q.hostname === undefined ? {} : { hostname: q.hostname }),
      ...(q.metric === undefined ? {} : { metric: q.metric }),
    },
    StatusSchema,
  )
  if (rows.length > MAX_STATUS_POINTS) {
    throw badRequest('TOO_MANY_POINTS', `more than ${MAX_STATUS_POINTS} status changes: narrow the query with group= or a shorter range`)
  }
  return rows
}

/**
 * The newest computation version among the report's days in a range; every recompute writes a
 * higher one, so a stored report made before it is stale.
 */
export async function dataSeq(store: Store, report: string, from: string, to: string): Promise<number> {
  const [row] = await store.query(
    `SELECT max(version) AS seq FROM availability_groups WHERE report = {report:String} AND day >= {from:Date} AND day <= {to:Date}`,
    { report, from, to },
    z.object({ seq: z.coerce.number() }),
  )
  return row?.seq ?? 0
}
