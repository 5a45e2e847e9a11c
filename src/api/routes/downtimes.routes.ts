import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { collectDowntimes } from '../../collectors/downtime-collector.js'
import { parseIngestBody } from '../../collectors/ingest-body.js'
import { parseRfc3339 } from '../../collectors/rfc3339.js'
import type { StoredDowntime } from '../../monitoring/downtime-store.js'
import { DAY } from '../../monitoring/topology.schema.js'
import { badRequest, forbidden, notFound } from '../../platform/errors.js'
import { toCsv } from '../../reports/csv.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'
import { acceptRawIngestBodies } from './ingest-plugin.js'
import { IngestResult, rejectionReason } from './ingest-response.js'

/** A day (`YYYY-MM-DD`, UTC) or an RFC 3339 instant, as epoch ms; a day as `to` means its end. */
function instantOf(value: string, field: string, end: boolean): number {
  if (DAY.test(value)) {
    const ms = parseRfc3339(`${value}T00:00:00Z`)
    if (ms !== null) return end ? ms + 86_400_000 : ms
  } else {
    const ms = parseRfc3339(value)
    if (ms !== null) return ms
  }
  throw badRequest('VALIDATION_FAILED', `${field}: must be a date YYYY-MM-DD or an RFC 3339 timestamp`)
}

const DowntimeOut = z.object({
  downtime_id: z.string(),
  group: z.string().optional(),
  hostname: z.string().optional(),
  service: z.string().optional(),
  start: z.string(),
  end: z.string(),
  reason: z.string(),
  providers: z.array(z.string()),
  created_by: z.string(),
})

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z')
const downtimeOut = (d: StoredDowntime) => ({
  downtime_id: d.downtime_id,
  ...(d.group ? { group: d.group } : { hostname: d.hostname, service: d.service }),
  start: iso(d.start),
  end: iso(d.end),
  reason: d.reason,
  providers: d.providers,
  created_by: d.created_by,
})

const MAX_LIST = 10_000

export const downtimeRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps
  acceptRawIngestBodies(app)

  app.post(
    '/v1/downtimes',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'provider']),
      schema: {
        description:
          'Declare scheduled downtimes: `{downtime_id, hostname, service, start, end, reason?}` or with `group` instead of hostname and ' +
          'service; one object, an array or NDJSON. DOWNTIME covers [start, end + 60 s) (ARGO reads the end minute inclusively). A ' +
          'provider token may only cover groups whose topology provider is its own. Re-sending a downtime_id replaces it.',
        response: { 202: IngestResult },
      },
    },
    async (req, reply) => {
      const body = parseIngestBody(req.body as Buffer, req.headers['content-type'])
      const principal = principalOf(req)
      const scope = providerScope(principal)
      // What a downtime covers must be in the topology: one unknown here may have just been added through another instance.
      await monitoring.topology.refresh(() => body.items.every((i) => !i.ok || monitoring.topology.holdsTarget(i.value)))
      const { rows, rejected } = await collectDowntimes(body, scope === '*' ? '*' : new Set(scope), principal.name, {
        topology: monitoring.topology,
        ownersOf: async (ids) => new Map([...(await monitoring.downtimes.byIds(ids))].map(([id, d]) => [id, d.providers])),
        version: () => deps.clock.next(),
      })
      await deps.bus.publish('downtime', rows)
      deps.metrics.recordsAccepted.inc({ kind: 'downtime' }, rows.length)
      for (const r of rejected) deps.metrics.recordsRejected.inc({ kind: 'downtime', reason: rejectionReason(r.errors) })
      return reply.code(202).send({ accepted: rows.length, rejected })
    },
  )

  app.get(
    '/v1/downtimes',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'provider']),
      schema: {
        description: 'Downtimes whose DOWNTIME period meets [from, to] (dates are whole UTC days), optionally of one group (its own and its endpoints\').',
        querystring: z.object({
          from: z.string().max(40).optional(),
          to: z.string().max(40).optional(),
          group: z.string().min(1).max(256).optional(),
          format: z.enum(['json', 'csv']).default('json'),
        }),
        response: { 200: z.object({ rows: z.array(DowntimeOut) }) },
      },
    },
    async (req, reply) => {
      const q = req.query
      const from = q.from === undefined ? 0 : instantOf(q.from, 'from', false)
      const to = q.to === undefined ? 7_258_118_400_000 : instantOf(q.to, 'to', true)
      if (from > to) throw badRequest('INVALID_RANGE', 'from must not be after to')
      const scope = providerScope(principalOf(req))
      await monitoring.topology.refresh()
      const covers = (d: StoredDowntime, group: string) => d.group === group || (d.group === '' && monitoring.topology.groupsOfEndpoint(d.hostname, d.service).has(group))
      const rows = (await monitoring.downtimes.overlapping(from, to))
        .filter((d) => q.group === undefined || covers(d, q.group))
        .filter((d) => scope === '*' || d.providers.some((p) => scope.includes(p)))
        .slice(0, MAX_LIST)
        .map(downtimeOut)
      if (q.format === 'csv') {
        const columns = ['downtime_id', 'group', 'hostname', 'service', 'start', 'end', 'reason', 'providers', 'created_by']
        const flat = rows.map((r) => ({ ...r, providers: r.providers.join(' ') }))
        return reply.type('text/csv; charset=utf-8').send(toCsv(columns, flat) as never)
      }
      return { rows }
    },
  )

  app.delete(
    '/v1/downtimes/:id',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'provider']),
      schema: {
        description: 'Withdraw a downtime; the days it covered are recomputed. Providers may delete their own only.',
        params: z.object({ id: z.string().min(1).max(256) }),
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req)
      const existing = (await monitoring.downtimes.byIds([req.params.id])).get(req.params.id)
      if (existing === undefined) throw notFound(`no downtime '${req.params.id}'`)
      const scope = providerScope(principal)
      if (scope !== '*' && (existing.providers.length === 0 || !existing.providers.every((p) => scope.includes(p)))) throw forbidden(`downtime '${req.params.id}' belongs to another provider`)
      await deps.bus.publish('downtime', [
        {
          downtime_id: existing.downtime_id,
          group: existing.group,
          hostname: existing.hostname,
          service: existing.service,
          start: existing.start,
          end: existing.end,
          reason: existing.reason,
          providers: existing.providers,
          created_by: principal.name,
          deleted: 1,
          version: deps.clock.next(),
        },
      ])
      return reply.code(204).send(null)
    },
  )
}
