import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { DASHBOARD_CSP, DASHBOARD_HTML } from '../dashboard/dashboard.html.js'

/** The dashboard page. Loading it needs no token: the page asks for one and sends it to /v1 itself. */
export const dashboardRoutes = (): FastifyPluginAsyncZod => async (app) => {
  app.get('/', { schema: { hide: true } }, async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .headers({
        'content-security-policy': DASHBOARD_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      })
      .send(DASHBOARD_HTML),
  )
}
