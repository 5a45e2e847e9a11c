import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { RESOURCE_ALIAS, RESOURCE_PID } from '../../catalog/resource-aliases.js'
import { rekeyUsage } from '../../catalog/usage-rekey.js'
import { badRequest, notFound } from '../../platform/errors.js'
import { requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

const AliasesBody = z.strictObject({
  aliases: z.array(z.string().trim().regex(RESOURCE_ALIAS, '1–256 characters, no control characters')).max(1000),
  provider: z.string().regex(RESOURCE_PID, 'printable ASCII, at most 255 characters').nullish(),
})

const AliasesOut = z.object({ pid: z.string(), aliases: z.array(z.string()), provider: z.string().nullable() })

/** PIDs contain '/' (21.11170/cI5H3q): the route takes the rest of the path, encoded or not. */
function pidOf(rest: string): string {
  const m = /^(.+)\/aliases$/.exec(rest)
  if (!m) throw notFound(`no route under /v1/resources/${rest}`)
  const pid = m[1]!
  if (!RESOURCE_PID.test(pid)) throw badRequest('VALIDATION_FAILED', 'params.pid: printable ASCII, at most 255 characters')
  return pid
}

export const resourceAliasRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.put(
    '/v1/resources/*',
    {
      preHandler: requireRole(deps.tokens, ['admin']),
      schema: {
        description:
          'PUT /v1/resources/{pid}/aliases: replaces the names (legacy ids, service names, older PIDs) that mean this resource, and ' +
          'optionally declares its provider (who may read its orders). Usage already stored under a new alias moves to the PID. ' +
          '409 when an alias belongs to another resource.',
        params: z.object({ '*': z.string() }),
        body: AliasesBody,
        response: { 200: AliasesOut.extend({ moved_usage_records: z.number().int() }) },
      },
    },
    async (req) => {
      const pid = pidOf(req.params['*'])
      const { entry, added } = await deps.aliases.put(pid, req.body.aliases, req.body.provider ?? null)
      await deps.settleUsage()
      const moved = await rekeyUsage(deps, pid, added)
      if (moved) req.log.info({ moved, aliases: added.length }, 'usage moved onto the canonical resource')
      return { ...entry, moved_usage_records: moved }
    },
  )

  app.get(
    '/v1/resources/*',
    {
      preHandler: requireRole(deps.tokens, ['admin', 'provider', 'funder', 'sla_manager']),
      schema: {
        description: 'GET /v1/resources/{pid}/aliases: the names registered for a resource (empty when none).',
        params: z.object({ '*': z.string() }),
        response: { 200: AliasesOut },
      },
    },
    async (req) => {
      const pid = pidOf(req.params['*'])
      await deps.aliases.ensureFresh()
      return deps.aliases.get(pid)
    },
  )
}
