import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ident } from '../../collectors/usage-record.schema.js'
import { AuditEntry } from '../../privacy/audit-log.js'
import { principalOf, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const ErasureRequest = z.strictObject({
  /** As a usage record's `user`. */
  user: ident(512),
  /** Keep the user's usage as anonymous records (totals unchanged) instead of deleting it. */
  keep_usage: z.boolean().default(false),
})

const ErasureResult = z.object({
  erasure_id: z.string(),
  usage: z.enum(['deleted', 'anonymised']),
  usage_records: z.number().int(),
  usage_levels: z.number().int(),
  orders: z.number().int(),
  monthly_cells: z.number().int(),
})

export const privacyRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.post(
    '/v1/privacy/erasure',
    {
      preHandler: requireRole(deps.tokens, ['admin']),
      schema: {
        description:
          'Erase a user (DESIGN §3.6): the user\'s usage records are deleted (or, with keep_usage, kept anonymous), the pseudonym ' +
          'is removed from every stored row and owned order, and the monthly cells that counted the user are rebuilt. Audited (counts only).',
        body: ErasureRequest,
        response: { 200: ErasureResult },
      },
    },
    async (req) => deps.erase(req.body.user, principalOf(req).name, { keepUsage: req.body.keep_usage }),
  )

  app.get(
    '/v1/audit',
    {
      preHandler: requireRole(deps.tokens, ['admin']),
      schema: {
        description:
          'The audit log, newest first: erasures, token creation and report reads, with counts, token names and URLs, never a user identifier',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ entries: z.array(AuditEntry) }) },
      },
    },
    async (req) => ({ entries: await deps.audit.list(req.query.limit) }),
  )
}
