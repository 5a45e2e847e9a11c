import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'
import type { AuditLog } from '../privacy/audit-log.js'
import { looksLikeJwt, type OidcVerify } from './oidc.js'
import { Role, type Principal } from './roles.js'

const CACHE_TTL_MS = 30_000
const TokenRow = z.object({ name: z.string(), role: Role, providers: z.array(z.string()) })

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')
export const newTokenSecret = () => 'eam_' + randomBytes(32).toString('base64url')

/**
 * API tokens, stored only as SHA-256 hashes (the secret is shown once at creation). Verified
 * tokens are cached briefly so authentication costs no query per request.
 */
export class TokenStore {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>()

  constructor(
    private readonly store: Store,
    /** Where token creation is recorded. */
    private readonly audit: Pick<AuditLog, 'record'>,
    private readonly bootstrapAdminToken?: string,
    /** Where OIDC is configured: verifies bearer JWTs (they are not stored tokens). */
    private readonly verifyJwt?: OidcVerify,
  ) {}

  /** Creates a token and records who did in the audit log (`actor`: a token name, `cli`, `startup`). */
  async create(input: { name: string; role: Role; providers: string[] }, actor: string): Promise<{ token: string; name: string; role: Role; providers: string[] }> {
    const token = newTokenSecret()
    await this.store.command(
      `INSERT INTO api_tokens (token_hash, name, role, providers, created_at, revoked, version)
       VALUES ({hash:String}, {name:String}, {role:String}, {providers:Array(String)}, now64(3), 0, {version:UInt64})`,
      { hash: hashToken(token), ...input, version: Date.now() * 1000 },
    )
    await this.audit.record(actor, 'token.create', input)
    return { token, ...input }
  }

  async hasAdmin(): Promise<boolean> {
    const rows = await this.store.query(
      "SELECT count() AS n FROM api_tokens FINAL WHERE role = 'admin' AND revoked = 0",
      {},
      z.object({ n: z.coerce.number() }),
    )
    return (rows[0]?.n ?? 0) > 0
  }

  async authenticate(token: string): Promise<Principal | null> {
    if (this.verifyJwt && looksLikeJwt(token)) return this.verifyJwt(token)
    if (this.bootstrapAdminToken && safeEqual(token, this.bootstrapAdminToken)) {
      return { name: 'bootstrap-admin', role: 'admin', providers: [] }
    }
    const hash = hashToken(token)
    const hit = this.cache.get(hash)
    if (hit && hit.until > Date.now()) return hit.principal
    const rows = await this.store.query(
      'SELECT name, role, providers FROM api_tokens FINAL WHERE token_hash = {hash:String} AND revoked = 0',
      { hash },
      TokenRow,
    )
    const principal = rows[0] ?? null
    if (this.cache.size > 10_000) this.cache.clear()
    this.cache.set(hash, { principal, until: Date.now() + CACHE_TTL_MS })
    return principal
  }
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}
