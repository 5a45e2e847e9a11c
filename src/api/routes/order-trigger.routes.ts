import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { AppError } from '../../platform/errors.js'
import { requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

/**
 * The Marketplace OMS trigger (DESIGN §3.5): a bare request with no payload on every Marketplace
 * event. It only schedules a poll — the poll reads the events itself — so answering 202 at once is
 * honest. Callers: an admin bearer token, or HTTP Basic whose password is
 * EOSC_AM_MARKETPLACE_TRIGGER_SECRET (the OMS trigger's `authorization`; the user name is ignored).
 */
export const orderTriggerRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  // Whatever body or content type the trigger sends is ignored (scoped to this plugin).
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_req, _body, done) => done(null, undefined))

  const admin = requireRole(deps.tokens, ['admin'])
  const secret = deps.orders.triggerSecret
  const secretDigest = secret ? createHash('sha256').update(secret).digest() : null

  async function authorise(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '')
    if (!basic) return admin(req, reply)
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8')
    const password = decoded.slice(decoded.indexOf(':') + 1)
    const given = createHash('sha256').update(password).digest()
    if (!secretDigest || decoded.indexOf(':') < 0 || !timingSafeEqual(given, secretDigest)) {
      throw new AppError(401, 'UNAUTHENTICATED', 'wrong trigger credentials')
    }
  }

  app.post(
    '/v1/orders/trigger',
    {
      preHandler: authorise,
      schema: {
        description:
          'Marketplace OMS trigger: schedules a poll of the Ordering API events (no payload needed). Admin bearer token, or HTTP Basic ' +
          'with the configured trigger secret as password.',
        response: { 202: z.object({ status: z.literal('scheduled') }) },
      },
    },
    async (req, reply) => {
      const sync = deps.orders.sync
      if (!sync) throw new AppError(409, 'MARKETPLACE_NOT_CONFIGURED', 'no Marketplace is configured (EOSC_AM_MARKETPLACE_URL, _OMS_ID)')
      // Not awaited: the poll runs after the answer; its outcome shows in /metrics and /readyz.
      void sync.trigger('http')
      req.log.debug('order poll scheduled by trigger')
      return reply.code(202).send({ status: 'scheduled' as const })
    },
  )
}
