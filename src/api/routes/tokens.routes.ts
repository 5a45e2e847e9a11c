import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { Role } from '../../auth/roles.js'
import { principalOf, requireRole } from '../auth.js'
import type { ApiDeps } from '../deps.js'

export const TokenRequest = z
  .strictObject({
    name: z.string().min(1).max(200),
    role: Role,
    providers: z.array(z.string().min(1).max(256)).max(1000).default([]),
  })
  .refine((t) => t.role !== 'provider' || t.providers.length > 0, { message: 'a provider token needs at least one provider', path: ['providers'] })

export const tokenRoutes = (deps: ApiDeps): FastifyPluginAsyncZod => async (app) => {
  app.post(
    '/v1/admin/tokens',
    {
      preHandler: requireRole(deps.tokens, ['admin']),
      schema: {
        description: 'Create a scoped API token; the secret is returned once and stored hashed',
        body: TokenRequest,
        response: { 201: z.object({ token: z.string(), name: z.string(), role: Role, providers: z.array(z.string()) }) },
      },
    },
    async (req, reply) => reply.code(201).send(await deps.tokens.create(req.body, principalOf(req).name)),
  )
}
