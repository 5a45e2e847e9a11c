import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { ApiDeps } from './deps.js'
import { installErrorHandler } from './error-handler.js'
import { argoCompatRoutes } from './routes/argo-compat.routes.js'
import { availabilityReportRoutes } from './routes/availability-report.routes.js'
import { availabilityRoutes } from './routes/availability.routes.js'
import { dashboardRoutes } from './routes/dashboard.routes.js'
import { downtimeRoutes } from './routes/downtimes.routes.js'
import { probeResultRoutes } from './routes/probe-results.routes.js'
import { slaReportRoutes } from './routes/sla-reports.routes.js'
import { statusRoutes } from './routes/status.routes.js'
import { topologyRoutes } from './routes/topology.routes.js'
import { healthRoutes } from './routes/health.routes.js'
import { metricDefinitionRoutes } from './routes/metric-definitions.routes.js'
import { orderStatsRoutes } from './routes/order-stats.routes.js'
import { orderTriggerRoutes } from './routes/order-trigger.routes.js'
import { orderRoutes } from './routes/orders.routes.js'
import { resourceAliasRoutes } from './routes/resource-aliases.routes.js'
import { tokenRoutes } from './routes/tokens.routes.js'
import { privacyRoutes } from './routes/privacy.routes.js'
import { usageRecordRoutes } from './routes/usage-records.routes.js'
import { usageRoutes } from './routes/usage.routes.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The audit action a successful call records (report reads). */
    audit?: string
  }
}

/** Builds the fastify app: plugins first, then routes. Listening is the caller's business. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request logs would dominate at ingest rates; latency goes to /metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  installErrorHandler(app)

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    deps.metrics.httpSeconds.observe({ method: req.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000)
    // Report reads are audited (who read which aggregate, with which filters), after the answer went.
    const audit = req.routeOptions.config.audit
    if (audit && req.principal && reply.statusCode < 300) {
      const { name, role } = req.principal
      deps.audit.record(name, audit, { role, route, url: req.url }).catch((err: unknown) => req.log.warn({ err }, 'audit entry not written'))
    }
  })

  await app.register(swagger, {
    openapi: {
      info: { title: 'eosc-am', version: '1', description: 'EOSC accounting and monitoring aggregation engine' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(healthRoutes(deps))
  await app.register(dashboardRoutes())
  await app.register(metricDefinitionRoutes(deps))
  await app.register(tokenRoutes(deps))
  await app.register(privacyRoutes(deps))
  await app.register(usageRecordRoutes(deps))
  await app.register(usageRoutes(deps))
  await app.register(orderTriggerRoutes(deps))
  await app.register(orderStatsRoutes(deps))
  await app.register(orderRoutes(deps))
  await app.register(resourceAliasRoutes(deps))
  await app.register(topologyRoutes(deps))
  await app.register(slaReportRoutes(deps))
  await app.register(probeResultRoutes(deps))
  await app.register(downtimeRoutes(deps))
  await app.register(availabilityRoutes(deps))
  await app.register(statusRoutes(deps))
  await app.register(argoCompatRoutes(deps))
  await app.register(availabilityReportRoutes(deps))
  return app
}
