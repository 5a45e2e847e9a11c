import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { METRIC_ID, MetricDefinition, MetricDefinitionInput } from '../../catalog/metric-definition.schema.js'
import { requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

export const metricDefinitionRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.put(
    '/v1/metric-definitions/:id',
    {
      preHandler: requireRole(deps.tokens, ['admin']),
      schema: {
        description: 'Register or update a metric definition',
        params: z.object({ id: z.string().regex(METRIC_ID, 'letters, digits and _ . : - (max 128)') }),
        body: MetricDefinitionInput,
        response: { 200: MetricDefinition, 201: MetricDefinition },
      },
    },
    async (req, reply) => {
      const def = { id: req.params.id, ...req.body }
      // A metric becoming a level metric copies its stored records into usage_levels: all of them.
      await deps.settleUsage()
      const { created } = await deps.catalog.put(def)
      return reply.code(created ? 201 : 200).send(def)
    },
  )

  app.get(
    '/v1/metric-definitions',
    {
      preHandler: requireRole(deps.tokens, ['admin', 'provider', 'funder', 'sla_manager', 'monitor']),
      schema: { response: { 200: z.object({ rows: z.array(MetricDefinition) }) } },
    },
    async () => {
      await deps.catalog.load()
      return { rows: deps.catalog.list() }
    },
  )
}
