import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { parseIngestBody } from '../../collectors/ingest-body.js'
import { collectProbeResults } from '../../collectors/probe-collector.js'
import { requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'
import { acceptRawIngestBodies } from './ingest-plugin.js'
import { IngestResult, rejectionReason } from './ingest-response.js'

const ProbeIngestResult = IngestResult.extend({
  warnings: z.array(
    z.object({
      code: z.literal('UNKNOWN_ENDPOINT'),
      hostname: z.string(),
      service: z.string(),
      count: z.number().int(),
      first_index: z.number().int(),
      message: z.string(),
    }),
  ),
})

export const probeResultRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  acceptRawIngestBodies(app)

  app.post(
    '/v1/probe-results',
    {
      preValidation: requireRole(deps.tokens, ['admin', 'monitor']),
      schema: {
        description:
          'Push probe results (ARGO metric data): one JSON object, a JSON array, or NDJSON; at most 10,000 results and 10 MiB. `status` is ' +
          'OK, WARNING, CRITICAL or UNKNOWN in any case — anything else is rejected. Results for an endpoint no topology version lists ' +
          'are stored and reported in `warnings`. 202 means durable; re-sending a result (same hostname, service, metric, timestamp, ' +
          'monitoring_host) stores it once.',
        response: { 202: ProbeIngestResult },
      },
    },
    async (req, reply) => {
      const body = parseIngestBody(req.body as Buffer, req.headers['content-type'])
      const { topology } = deps.monitoring
      // An endpoint unknown here may have just been added through another instance.
      await topology.refresh(() => body.items.every((i) => !i.ok || topology.holdsTarget(i.value)))
      const { rows, rejected, warnings } = collectProbeResults(body, {
        isKnownEndpoint: (h, s) => topology.isKnownEndpoint(h, s),
        now: deps.monitoring.now,
      })
      await deps.bus.publish('probe', rows)
      deps.metrics.recordsAccepted.inc({ kind: 'probe' }, rows.length)
      for (const r of rejected) deps.metrics.recordsRejected.inc({ kind: 'probe', reason: rejectionReason(r.errors) })
      return reply.code(202).send({ accepted: rows.length, rejected, warnings })
    },
  )
}
