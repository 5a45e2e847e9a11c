import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose'
import { z } from 'zod'
import { AppError, InfraError } from '../platform/errors.js'
import { Role, type Principal } from './roles.js'

/** What an entitlement grants: a role, and for `provider` the providers it may write and read. */
export const EntitlementGrant = z.strictObject({ role: Role, providers: z.array(z.string().min(1)).default([]) })
export type EntitlementGrant = z.infer<typeof EntitlementGrant>

export interface OidcConfig {
  readonly issuer: string
  readonly jwksUrl: string
  readonly audience?: string
  /** The claim holding entitlements (EGI Check-in: `eduperson_entitlement`). */
  readonly entitlementClaim: string
  /** Entitlement → grant, in the operator's order: the first entitlement matched decides the role. */
  readonly grants: ReadonlyArray<readonly [string, EntitlementGrant]>
}

/** A compact JWS: three base64url parts. Our own API tokens (`eam_…`) never look like one. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)

/**
 * OIDC bearer JWTs (DESIGN §3.1, EGI Check-in style): the signature is checked against the
 * issuer's JWKS (fetched and cached by `jose`), then issuer, audience and expiry; entitlements map
 * to a role through the configured grants. The principal's name is `oidc:` + the subject's
 * pseudonym, so audit entries and logs never hold the raw subject.
 */
export function createOidcVerifier(config: OidcConfig, pseudonymise: (subject: string) => string) {
  const jwks = createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 })
  return async function verify(token: string): Promise<Principal> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, jwks, { issuer: config.issuer, audience: config.audience, clockTolerance: 30 }))
    } catch (err) {
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw new InfraError('OIDC_UNAVAILABLE', 'the OIDC signing keys could not be fetched', { retriable: true, cause: err })
      }
      throw new AppError(401, 'UNAUTHENTICATED', `bearer JWT refused: ${err.message}`)
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new AppError(401, 'UNAUTHENTICATED', 'bearer JWT refused: no "sub" claim')
    const claim = payload[config.entitlementClaim]
    const held = new Set(Array.isArray(claim) ? claim.filter((e): e is string => typeof e === 'string') : typeof claim === 'string' ? [claim] : [])
    const matched = config.grants.filter(([entitlement]) => held.has(entitlement)).map(([, grant]) => grant)
    const first = matched[0]
    if (!first) throw new AppError(403, 'FORBIDDEN', `the token's ${config.entitlementClaim} grants no eosc-am role`)
    // Provider grants of the same role add up; other roles carry no providers.
    const providers = first.role === 'provider' ? [...new Set(matched.filter((g) => g.role === 'provider').flatMap((g) => g.providers))] : []
    return { name: `oidc:${pseudonymise(payload.sub)}`, role: first.role, providers }
  }
}

export type OidcVerify = ReturnType<typeof createOidcVerifier>
