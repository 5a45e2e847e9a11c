import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { argoNumber } from '../../aggregators/availability/argo-format.js'
import { parseRfc3339 } from '../../collectors/rfc3339.js'
import type { ArRow, StatusTimeline } from '../../monitoring/availability-service.js'
import type { StatusLevel } from '../../monitoring/availability.queries.js'
import { REPORT_NAME } from '../../monitoring/sla-report-store.js'
import { badRequest, forbidden, notFound } from '../../platform/errors.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

/**
 * ARGO-compatible reads (argo-web-api v2 shapes, reference §5): `/api/v2/results/...` A/R with
 * numbers as strings (Go `%g`, -1 when undefined) and `/api/v2/status/...` timelines closed by a
 * synthetic last entry. The figures are eosc-am's (months time-weighted from exact seconds).
 * ARGO clients send `x-api-key`; it is accepted as the bearer token here.
 */
const Name = z.string().min(1).max(256)
const Base = { report: z.string().regex(REPORT_NAME, 'not a report name'), group_type: Name }

const Window = z.object({
  start_time: z.string().max(40).optional(),
  end_time: z.string().max(40).optional(),
  granularity: z.enum(['daily', 'monthly', 'custom']).default('daily'),
})


const dayOf = (instant: string | undefined, field: string, fallback: string): string => {
  if (instant === undefined) return fallback
  const ms = parseRfc3339(instant)
  if (ms === null) throw badRequest('VALIDATION_FAILED', `${field}: must be a UTC timestamp like 2026-03-01T00:00:00Z`)
  return new Date(ms).toISOString().slice(0, 10)
}

const argoResult = (r: ArRow, granularity: string) => ({
  ...(granularity === 'custom' ? {} : { timestamp: r.period }),
  availability: argoNumber(r.figures.availability),
  reliability: argoNumber(r.figures.reliability),
  unknown: argoNumber(r.figures.unknown),
  uptime: argoNumber(r.figures.uptime),
  downtime: argoNumber(r.figures.downtime),
})

/** Groups `items` by `key`, keeping first-seen order. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): [string, T[]][] {
  const map = new Map<string, T[]>()
  for (const i of items) {
    const k = key(i)
    const list = map.get(k) ?? []
    list.push(i)
    map.set(k, list)
  }
  return [...map]
}

export const argoCompatRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps

  app.addHook('onRequest', async (req) => {
    const key = req.headers['x-api-key']
    if (req.headers.authorization === undefined && typeof key === 'string' && key !== '') req.headers.authorization = `Bearer ${key}`
  })

  /** The groups of `group_type` the caller may read, or a 404 naming what is missing. */
  function groupsOfType(groupType: string, group: string | undefined, day: string, req: FastifyRequest): Map<string, { provider: string }> {
    const version = monitoring.topology.at(day)
    const scope = providerScope(principalOf(req))
    const out = new Map<string, { provider: string }>()
    for (const g of version?.version.groups ?? []) {
      if (g.type !== groupType || (group !== undefined && g.group !== group)) continue
      if (scope !== '*' && !scope.includes(g.provider)) continue
      out.set(g.group, { provider: g.provider })
    }
    if (out.size === 0) throw notFound(group === undefined ? `no groups of type '${groupType}'` : `no group '${group}' of type '${groupType}'`)
    return out
  }

  const reader = requireRole(deps.tokens, ['admin', 'sla_manager', 'provider', 'funder'])

  async function results(
    req: FastifyRequest,
    p: { report: string; group_type: string; group?: string; service?: string; hostname?: string },
    q: z.infer<typeof Window>,
    level: 'group' | 'service' | 'endpoint',
  ) {
    if (principalOf(req).role === 'funder' && q.granularity !== 'monthly') throw forbidden('funder tokens may read monthly figures only (granularity=monthly)')
    await monitoring.refresh(p.report)
    const today = monitoring.today()
    const from = dayOf(q.start_time, 'start_time', today)
    const to = dayOf(q.end_time, 'end_time', from)
    const groups = groupsOfType(p.group_type, p.group, to, req)
    const granularity = q.granularity === 'daily' ? 'day' : q.granularity === 'monthly' ? 'month' : 'range'
    const rows = (
      await monitoring.availability.ar({ report: p.report, from, to, granularity, level, group: p.group, scope: providerScope(principalOf(req)) })
    ).filter((r) => groups.has(r.group) && (p.service === undefined || r.service === p.service) && (p.hostname === undefined || r.hostname === p.hostname))
    if (rows.length === 0) throw notFound('No results found for given query')
    if (level === 'group') {
      const byProvider = groupBy(rows, (r) => groups.get(r.group)?.provider ?? '')
      return {
        results: byProvider.map(([provider, list]) => ({
          name: provider,
          type: 'PROVIDER',
          endpoints: groupBy(list, (r) => r.group).map(([group, rs]) => ({ name: group, type: p.group_type, results: rs.map((r) => argoResult(r, q.granularity)) })),
        })),
      }
    }
    return {
      results: groupBy(rows, (r) => r.group).map(([group, list]) => ({
        name: group,
        type: p.group_type,
        serviceflavors: groupBy(list, (r) => r.service).map(([service, rs]) =>
          level === 'service'
            ? { name: service, type: 'service', results: rs.map((r) => argoResult(r, q.granularity)) }
            : {
                name: service,
                type: 'service',
                endpoints: groupBy(rs, (r) => r.hostname).map(([hostname, es]) => ({ name: hostname, type: 'endpoint', results: es.map((r) => argoResult(r, q.granularity)) })),
              },
        ),
      })),
    }
  }

  const ResultsOut = z.object({ results: z.array(z.looseObject({ name: z.string(), type: z.string() })) })
  const resultRoutes: [string, z.ZodObject, 'group' | 'service' | 'endpoint'][] = [
    ['/api/v2/results/:report/:group_type', z.object(Base), 'group'],
    ['/api/v2/results/:report/:group_type/:group', z.object({ ...Base, group: Name }), 'group'],
    ['/api/v2/results/:report/:group_type/:group/services', z.object({ ...Base, group: Name }), 'service'],
    ['/api/v2/results/:report/:group_type/:group/services/:service', z.object({ ...Base, group: Name, service: Name }), 'service'],
    ['/api/v2/results/:report/:group_type/:group/services/:service/endpoints', z.object({ ...Base, group: Name, service: Name }), 'endpoint'],
    ['/api/v2/results/:report/:group_type/:group/services/:service/endpoints/:hostname', z.object({ ...Base, group: Name, service: Name, hostname: Name }), 'endpoint'],
    ['/api/v2/results/:report/:group_type/:group/endpoints', z.object({ ...Base, group: Name }), 'endpoint'],
    ['/api/v2/results/:report/:group_type/:group/endpoints/:hostname', z.object({ ...Base, group: Name, hostname: Name }), 'endpoint'],
  ]
  for (const [url, params, level] of resultRoutes) {
    app.get(
      url,
      {
        preValidation: reader,
        schema: {
          description: 'ARGO-compatible A/R results (argo-web-api v2 JSON). start_time/end_time as 2026-03-01T00:00:00Z; granularity daily|monthly|custom.',
          tags: ['argo-compatible'],
          params,
          querystring: Window,
          response: { 200: ResultsOut },
        },
      },
      async (req) => results(req, req.params as Parameters<typeof results>[1], req.query, level),
    )
  }

  async function status(
    req: FastifyRequest,
    p: { report: string; group_type: string; group?: string; service?: string; hostname?: string; metric?: string },
    q: { start_time?: string; end_time?: string },
    level: StatusLevel,
  ) {
    await monitoring.refresh(p.report)
    const today = monitoring.today()
    const from = dayOf(q.start_time, 'start_time', today)
    const to = dayOf(q.end_time, 'end_time', q.start_time === undefined ? today : from)
    const groups = groupsOfType(p.group_type, p.group, to, req)
    const timelines = (
      await monitoring.availability.status({
        report: p.report,
        from,
        to,
        level,
        group: p.group,
        service: p.service,
        hostname: p.hostname,
        metric: p.metric,
        scope: providerScope(principalOf(req)),
      })
    ).filter((t) => groups.has(t.group))
    if (timelines.length === 0) throw notFound('No results found for given query')
    // ARGO closes each timeline with its last status at 23:59:59 of the last day, or now for today.
    const closing = to >= today ? new Date(monitoring.now()).toISOString().slice(0, 19) + 'Z' : `${to}T23:59:59Z`
    const statuses = (t: StatusTimeline) => {
      const list = t.statuses.map((s) => ({ timestamp: s.timestamp, value: s.status }))
      const last = list[list.length - 1]
      if (last !== undefined && last.timestamp < closing) list.push({ timestamp: closing, value: last.value })
      return list
    }
    type Node = { name: string; type: string; [k: string]: unknown }
    const nest = (list: StatusTimeline[], depth: number): Node[] => {
      const keys = ['group', 'service', 'hostname', 'metric'] as const
      const key = keys[depth]!
      const type = depth === 0 ? p.group_type : depth === 1 ? 'service' : depth === 2 ? 'endpoint' : 'metric'
      const childKey = ['services', 'endpoints', 'metrics'][depth]!
      const leafDepth = level === 'group' ? 0 : level === 'service' ? 1 : level === 'endpoint' ? 2 : 3
      return groupBy(list, (t) => t[key]).map(([name, ts]) =>
        depth === leafDepth ? { name, type, statuses: statuses(ts[0]!) } : { name, type, [childKey]: nest(ts, depth + 1) },
      )
    }
    return { groups: nest(timelines, 0) }
  }

  const StatusOut = z.object({ groups: z.array(z.looseObject({ name: z.string(), type: z.string() })) })
  const statusRoutes: [string, z.ZodObject, StatusLevel][] = [
    ['/api/v2/status/:report/:group_type', z.object(Base), 'group'],
    ['/api/v2/status/:report/:group_type/:group', z.object({ ...Base, group: Name }), 'group'],
    ['/api/v2/status/:report/:group_type/:group/services', z.object({ ...Base, group: Name }), 'service'],
    ['/api/v2/status/:report/:group_type/:group/services/:service', z.object({ ...Base, group: Name, service: Name }), 'service'],
    ['/api/v2/status/:report/:group_type/:group/services/:service/endpoints', z.object({ ...Base, group: Name, service: Name }), 'endpoint'],
    ['/api/v2/status/:report/:group_type/:group/services/:service/endpoints/:hostname', z.object({ ...Base, group: Name, service: Name, hostname: Name }), 'endpoint'],
    ['/api/v2/status/:report/:group_type/:group/services/:service/endpoints/:hostname/metrics', z.object({ ...Base, group: Name, service: Name, hostname: Name }), 'metric'],
    ['/api/v2/status/:report/:group_type/:group/services/:service/endpoints/:hostname/metrics/:metric', z.object({ ...Base, group: Name, service: Name, hostname: Name, metric: Name }), 'metric'],
  ]
  for (const [url, params, level] of statusRoutes) {
    app.get(
      url,
      {
        preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider']),
        schema: {
          description: 'ARGO-compatible status timelines (argo-web-api v2 JSON). Default window: today.',
          tags: ['argo-compatible'],
          params,
          querystring: z.object({ start_time: z.string().max(40).optional(), end_time: z.string().max(40).optional() }),
          response: { 200: StatusOut },
        },
      },
      async (req) => status(req, req.params as Parameters<typeof status>[1], req.query, level),
    )
  }
}
