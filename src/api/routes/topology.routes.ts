import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { notFound } from '../../platform/errors.js'
import { DayString, TopologyGroup, TopologyInput } from '../../monitoring/topology.schema.js'
import { principalOf, providerScope, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const PutResult = z.object({
  date: z.string(),
  groups: z.number().int(),
  endpoints: z.number().int(),
  /** Days already holding data or figures whose figures this version changes; they are recomputed. */
  days_marked: z.number().int(),
})

const TopologyOut = z.object({
  date: z.string(),
  versions: z.array(z.string()),
  groups: z.array(TopologyGroup),
})

export const topologyRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  const { monitoring } = deps

  app.put(
    '/v1/topology',
    {
      preValidation: requireRole(deps.tokens, ['admin']),
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        description:
          'Replace the whole topology from `date` (default today, UTC) on. A day uses the latest version dated on or before it; days before ' +
          'the first version use the first. Days whose figures change are recomputed.',
        body: TopologyInput,
        response: { 200: PutResult },
      },
    },
    async (req) => monitoring.changes.putTopology(req.body, principalOf(req).name),
  )

  app.get(
    '/v1/topology',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'sla_manager', 'monitor', 'provider']),
      schema: {
        description: 'The topology version in force on `date` (default today). Provider tokens see their own groups only.',
        querystring: z.object({ date: DayString.optional() }),
        response: { 200: TopologyOut },
      },
    },
    async (req) => {
      await monitoring.topology.refresh()
      const version = monitoring.topology.at(req.query.date ?? monitoring.today())
      if (version === undefined) throw notFound('no topology has been loaded yet (PUT /v1/topology)')
      const scope = providerScope(principalOf(req))
      const groups = scope === '*' ? version.version.groups : version.version.groups.filter((g) => scope.includes(g.provider))
      return { date: version.date, versions: monitoring.topology.list().map((v) => v.date), groups: [...groups] }
    },
  )
}
