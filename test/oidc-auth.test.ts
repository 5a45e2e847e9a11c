import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/platform/config.js'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

const ISSUER = 'https://aai.example.org/oidc/'
const SUBJECT = 'subject-7e41c0@aai.example.org'
const ENT = {
  admin: 'urn:mace:egi.eu:group:accounting:role=admin#aai.egi.eu',
  egi: 'urn:mace:egi.eu:group:egi-provider:role=member#aai.egi.eu',
  cesnet: 'urn:mace:egi.eu:group:cesnet-provider:role=member#aai.egi.eu',
  funder: 'urn:mace:egi.eu:group:funders:role=member#aai.egi.eu',
}
const GRANTS = {
  [ENT.admin]: { role: 'admin' },
  [ENT.egi]: { role: 'provider', providers: ['egi'] },
  [ENT.cesnet]: { role: 'provider', providers: ['cesnet'] },
  [ENT.funder]: { role: 'funder' },
}

let t: TestEngine
let jwks: Server
let key: CryptoKey
let otherKey: CryptoKey

/** A JWT as the identity provider would issue it; override claims or the signing key. */
async function jwt(entitlements: string[], opts: { key?: CryptoKey; issuer?: string; expiresIn?: string; audience?: string } = {}) {
  return new SignJWT({ eduperson_entitlement: entitlements })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject(SUBJECT)
    .setIssuer(opts.issuer ?? ISSUER)
    .setAudience(opts.audience ?? 'eosc-am')
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '5m')
    .sign(opts.key ?? key)
}

beforeAll(async () => {
  // The identity provider publishes the public half of `key`; `otherKey` is some other party's.
  const pair = await generateKeyPair('RS256', { extractable: true })
  key = pair.privateKey
  otherKey = (await generateKeyPair('RS256')).privateKey
  const body = JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] })
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r))
  t = await startTestEngine({
    env: {
      EOSC_AM_OIDC_ISSUER: ISSUER,
      EOSC_AM_OIDC_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`,
      EOSC_AM_OIDC_AUDIENCE: 'eosc-am',
      EOSC_AM_OIDC_GRANTS: JSON.stringify(GRANTS),
    },
  })
  await t.metric('cpu_hours')
})
afterAll(async () => {
  await t.close()
  await new Promise((r) => jwks.close(r))
})

describe('OIDC bearer JWTs', () => {
  it('maps a provider entitlement to a provider scoped to its providers', async () => {
    const token = await jwt([ENT.egi, 'urn:unrelated'])
    const res = await t.request({
      method: 'POST',
      url: '/v1/usage-records',
      token,
      body: [usageRecord({ record_id: 'oidc-1', provider: 'egi' }), usageRecord({ record_id: 'oidc-2', provider: 'cesnet' })],
    })
    expect(res.status).toBe(202)
    expect(res.body.accepted).toBe(1)
    expect(res.body.rejected[0].errors[0]).toMatch(/may not write provider 'cesnet'/)
    // Two provider entitlements: both providers.
    const both = await jwt([ENT.egi, ENT.cesnet])
    const res2 = await t.request({ method: 'POST', url: '/v1/usage-records', token: both, body: usageRecord({ record_id: 'oidc-3', provider: 'cesnet' }) })
    expect(res2.body.accepted).toBe(1)
  })

  it('lets the first grant of the configured list that the token holds decide the role', async () => {
    const funder = await jwt([ENT.funder])
    expect((await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12', token: funder })).status).toBe(200)
    expect((await t.request({ method: 'POST', url: '/v1/usage-records', token: funder, body: usageRecord() })).status).toBe(403)
    // Admin is granted before funder in EOSC_AM_OIDC_GRANTS, whatever the token's order.
    const admin = await jwt([ENT.funder, ENT.admin])
    expect((await t.request({ method: 'PUT', url: '/v1/metric-definitions/gpu_hours', token: admin, body: { unit: 'h', aggregation: 'sum' } })).status).toBeLessThan(300)
    // A provider grant comes before the funder one: a provider, who sees nothing of another provider.
    const url = '/v1/usage?from=2026-01&to=2026-12&granularity=total&provider=cesnet'
    expect((await t.request({ method: 'GET', url, token: admin })).body.rows).toHaveLength(1)
    expect((await t.request({ method: 'GET', url, token: await jwt([ENT.funder, ENT.egi]) })).body.rows).toEqual([])
  })

  it('refuses an expired token, another issuer, another audience and another key with 401', async () => {
    const cases = {
      expired: await jwt([ENT.admin], { expiresIn: '-10m' }),
      issuer: await jwt([ENT.admin], { issuer: 'https://evil.example.org/' }),
      audience: await jwt([ENT.admin], { audience: 'someone-else' }),
      key: await jwt([ENT.admin], { key: otherKey }),
    }
    for (const [name, token] of Object.entries(cases)) {
      const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12', token })
      expect({ name, status: res.status, code: res.body.error.code }).toEqual({ name, status: 401, code: 'UNAUTHENTICATED' })
    }
  })

  it('refuses a valid token without a granted entitlement with 403', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12', token: await jwt(['urn:unrelated']) })
    expect(res.status).toBe(403)
    expect(res.body.error.message).toMatch(/eduperson_entitlement grants no eosc-am role/)
  })

  it('names the caller by a pseudonym of the subject in the audit log, never the subject', async () => {
    const admin = await jwt([ENT.admin])
    expect((await t.request({ method: 'POST', url: '/v1/admin/tokens', token: admin, body: { name: 'made-by-oidc', role: 'funder' } })).status).toBe(201)
    const audit = await t.request({ method: 'GET', url: '/v1/audit', token: admin })
    const entry = audit.body.entries.find((e: any) => e.detail.name === 'made-by-oidc')
    expect(entry.actor).toMatch(/^oidc:u_[A-Za-z0-9_-]{43}$/)
    expect(audit.text).not.toContain(SUBJECT)
    expect(t.logs.join('')).not.toContain(SUBJECT)
  })

  it('still takes the stored API tokens', async () => {
    expect((await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12' })).status).toBe(200)
  })
})

describe('OIDC configuration', () => {
  it('names the setting that is missing or wrong', () => {
    expect(() => loadConfig({ EOSC_AM_OIDC_ISSUER: ISSUER })).toThrow(/EOSC_AM_OIDC_ISSUER, EOSC_AM_OIDC_JWKS_URL and EOSC_AM_OIDC_GRANTS together/)
    const base = { EOSC_AM_OIDC_ISSUER: ISSUER, EOSC_AM_OIDC_JWKS_URL: 'https://aai.example.org/jwks' }
    expect(() => loadConfig({ ...base, EOSC_AM_OIDC_GRANTS: '{nope' })).toThrow(/EOSC_AM_OIDC_GRANTS: must be JSON/)
    expect(() => loadConfig({ ...base, EOSC_AM_OIDC_GRANTS: '{"e": {"role": "king"}}' })).toThrow(/EOSC_AM_OIDC_GRANTS\.e\.role/)
    expect(() => loadConfig({ ...base, EOSC_AM_OIDC_GRANTS: '{"e": {"role": "provider"}}' })).toThrow(/a provider grant needs at least one provider/)
    expect(loadConfig({ ...base, EOSC_AM_OIDC_GRANTS: JSON.stringify(GRANTS) }).oidc?.grants.map(([e]) => e)).toEqual(Object.keys(GRANTS))
  })
})
