import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { readinessDetail } from '../../orders/order-sync.js'
import type { ApiDeps } from '../deps.js'

export const healthRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }))

  app.get(
    '/readyz',
    { schema: { description: 'Ready when ingest can be made durable (storage and bus reachable)', response: { 200: Ready, 503: Ready } } },
    async (_req, reply) => {
      const h = await deps.bus.health()
      return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ready' : 'unavailable', checks: { ...h.detail, ...readinessDetail(deps.orders.sync) } })
    },
  )

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('Content-Type', deps.metrics.registry.contentType)
    return deps.metrics.registry.metrics()
  })
}

const Ready = z.object({ status: z.string(), checks: z.record(z.string(), z.string()) })
