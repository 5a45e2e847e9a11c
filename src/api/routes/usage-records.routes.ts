import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { requireRole, principalOf, providerScope } from '../auth.js'
import type { ApiDeps } from '../deps.js'
import { acceptRawIngestBodies } from './ingest-plugin.js'
import { IngestResult, rejectionReason } from './ingest-response.js'

export const usageRecordRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  acceptRawIngestBodies(app)

  app.post(
    '/v1/usage-records',
    {
      preHandler: requireRole(deps.tokens, ['admin', 'provider']),
      schema: {
        description:
          'Push usage records: one JSON object, a JSON array, or NDJSON (application/x-ndjson); at most 10,000 records and 10 MiB. ' +
          '202 means durable. Re-sending a (provider, record_id) replaces it.',
        response: { 202: IngestResult },
      },
    },
    async (req, reply) => {
      const scope = providerScope(principalOf(req))
      const { part, rejected } = await deps.usageIntake.collect(req.body as Buffer, req.headers['content-type'], scope === '*' ? '*' : new Set(scope))
      await deps.publishUsage(part)
      deps.metrics.recordsAccepted.inc({ kind: 'usage' }, part.count)
      for (const r of rejected) deps.metrics.recordsRejected.inc({ kind: 'usage', reason: rejectionReason(r.errors) })
      return reply.code(202).send({ accepted: part.count, rejected })
    },
  )
}
