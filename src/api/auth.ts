import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Principal, Role } from '../auth/roles.js'
import type { TokenStore } from '../auth/token-store.js'
import { AppError } from '../platform/errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

/** A preHandler admitting only the given roles; it sets `request.principal`. */
export function requireRole(tokens: TokenStore, roles: readonly Role[]) {
  return async (req: FastifyRequest, _reply: FastifyReply) => {
    const header = req.headers.authorization
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null
    if (!m) throw new AppError(401, 'UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)')
    const principal = await tokens.authenticate(m[1]!)
    if (!principal) throw new AppError(401, 'UNAUTHENTICATED', 'unknown or revoked token')
    if (!roles.includes(principal.role)) {
      throw new AppError(403, 'FORBIDDEN', `role '${principal.role}' may not call this endpoint (allowed: ${roles.join(', ')})`)
    }
    req.principal = principal
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route is missing its requireRole preHandler')
  return req.principal
}

/** Providers a principal may see or write: every provider for admins, its own for providers. */
export function providerScope(p: Principal): readonly string[] | '*' {
  return p.role === 'provider' ? p.providers : '*'
}
