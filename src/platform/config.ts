import { availableParallelism } from 'node:os'
import cron from 'node-cron'
import { z } from 'zod'
import { EntitlementGrant, type OidcConfig } from '../auth/oidc.js'
import { parseKeyring, type PeriodKey } from '../privacy/pseudonymiser.js'
import { monitoringConfig, MonitoringEnv, type MonitoringConfig } from '../monitoring/monitoring-config.js'

/** Env values arrive as strings; empty strings mean "unset". */
const optional = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional())
const int = (def: number, min: number, max: number) =>
  z.preprocess((v) => (v === '' || v === undefined ? def : Number(v)), z.number().int().min(min).max(max))
const bool = (def: boolean) =>
  z.preprocess(
    (v) => (v === '' || v === undefined ? def : ['1', 'true', 'yes', 'on'].includes(String(v).toLowerCase())),
    z.boolean(),
  )

const EnvSchema = z.object({
  EOSC_AM_HOST: z.string().default('0.0.0.0'),
  EOSC_AM_PORT: int(8080, 0, 65535),
  EOSC_AM_DATA_DIR: z.string().default('./data'),
  EOSC_AM_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  EOSC_AM_CLICKHOUSE_URL: optional.pipe(z.url().optional()),
  EOSC_AM_CLICKHOUSE_USER: optional,
  EOSC_AM_CLICKHOUSE_PASSWORD: optional,
  EOSC_AM_CLICKHOUSE_DATABASE: optional,
  EOSC_AM_KAFKA_BROKERS: optional,
  EOSC_AM_KAFKA_CLIENT_ID: z.string().default('eosc-am'),
  EOSC_AM_KAFKA_TOPIC_PREFIX: z.string().default('eosc-am.'),
  EOSC_AM_KAFKA_PARTITIONS: int(6, 1, 10_000),
  EOSC_AM_KAFKA_REPLICATION_FACTOR: int(1, 1, 16),
  EOSC_AM_KAFKA_GROUP_ID: z.string().default('eosc-am-sink'),
  EOSC_AM_KAFKA_SSL: bool(false),
  EOSC_AM_KAFKA_SASL_MECHANISM: optional.pipe(z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional()),
  EOSC_AM_KAFKA_SASL_USERNAME: optional,
  EOSC_AM_KAFKA_SASL_PASSWORD: optional,
  EOSC_AM_ADMIN_TOKEN: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  EOSC_AM_PSEUDONYM_KEY: optional,
  EOSC_AM_PSEUDONYM_KEYS: optional,
  EOSC_AM_OIDC_ISSUER: optional,
  EOSC_AM_OIDC_JWKS_URL: optional.pipe(z.url().optional()),
  EOSC_AM_OIDC_AUDIENCE: optional,
  EOSC_AM_OIDC_ENTITLEMENT_CLAIM: z.string().default('eduperson_entitlement'),
  EOSC_AM_OIDC_GRANTS: optional,
  EOSC_AM_SUPPRESSION_K: int(5, 1, 1000),
  EOSC_AM_USER_RETENTION_MONTHS: int(18, 1, 1200),
  EOSC_AM_GROUP_COMMIT_MAX_ROWS: int(50_000, 1, 1_000_000),
  EOSC_AM_GROUP_COMMIT_MAX_BYTES: int(32 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  EOSC_AM_GROUP_COMMIT_MAX_WAIT_MS: int(5, 0, 10_000),
  EOSC_AM_GROUP_COMMIT_LINGER_MS: int(20, 0, 10_000),
  EOSC_AM_INTAKE_WORKERS: int(Math.min(8, Math.max(2, availableParallelism() - 1)), 1, 64),
  EOSC_AM_MARKETPLACE_URL: optional.pipe(z.url().optional()),
  EOSC_AM_MARKETPLACE_OMS_ID: optional,
  EOSC_AM_MARKETPLACE_TOKEN: optional,
  EOSC_AM_MARKETPLACE_INSTANCE: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('eosc'),
  EOSC_AM_MARKETPLACE_POLL_CRON: z.string().default('*/5 * * * *').refine((c) => cron.validate(c), 'must be a cron expression'),
  EOSC_AM_MARKETPLACE_TRIGGER_SECRET: optional.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  EOSC_AM_MARKETPLACE_PAGE_LIMIT: int(100, 1, 10_000),
  EOSC_AM_MARKETPLACE_RETRIES: int(5, 0, 100),
  EOSC_AM_MARKETPLACE_RETRY_MIN_MS: int(500, 1, 600_000),
  EOSC_AM_MARKETPLACE_RETRY_MAX_MS: int(30_000, 1, 3_600_000),
  ...MonitoringEnv,
})

export interface Config {
  readonly host: string
  readonly port: number
  readonly dataDir: string
  readonly logLevel: string
  readonly clickhouse:
    | { readonly kind: 'embedded'; readonly path: string }
    | { readonly kind: 'server'; readonly url: string; readonly username?: string; readonly password?: string; readonly database?: string }
  readonly kafka?: {
    readonly brokers: string[]
    readonly clientId: string
    readonly topicPrefix: string
    readonly partitions: number
    readonly replicationFactor: number
    readonly groupId: string
    readonly ssl: boolean
    readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string }
  }
  readonly adminToken?: string
  readonly pseudonymKey?: string
  /** A keyring (`EOSC_AM_PSEUDONYM_KEYS`, `PERIOD=KEY,…`), parsed. */
  readonly pseudonymKeys?: readonly PeriodKey[]
  readonly oidc?: OidcConfig
  readonly suppressionK: number
  readonly userRetentionMonths: number
  /** Worker threads parsing and validating usage bodies (UsageIntake). */
  readonly intakeWorkers: number
  readonly groupCommit: { readonly maxRows: number; readonly maxBytes: number; readonly maxWaitMs: number; readonly lingerMs: number }
  readonly monitoring: MonitoringConfig
  readonly marketplace?: {
    readonly url: string
    readonly omsId: string
    readonly token?: string
    readonly instance: string
    readonly pollCron: string
    /** HTTP Basic password the Marketplace's OMS trigger may present instead of an admin token. */
    readonly triggerSecret?: string
    readonly pageLimit: number
    /** Backoff of each Marketplace call within a poll; a failed poll is re-run 20× min … 10× max later. */
    readonly retry: { readonly retries: number; readonly minMs: number; readonly maxMs: number }
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`)
  }
}

/** Parses the environment once; throws one ConfigError listing every problem. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  }
  const e = parsed.data
  const problems: string[] = []
  if (e.EOSC_AM_KAFKA_SASL_MECHANISM && !(e.EOSC_AM_KAFKA_SASL_USERNAME && e.EOSC_AM_KAFKA_SASL_PASSWORD)) {
    problems.push('EOSC_AM_KAFKA_SASL_MECHANISM needs EOSC_AM_KAFKA_SASL_USERNAME and EOSC_AM_KAFKA_SASL_PASSWORD')
  }
  if (e.EOSC_AM_MARKETPLACE_URL && !e.EOSC_AM_MARKETPLACE_OMS_ID) {
    problems.push('EOSC_AM_MARKETPLACE_URL needs EOSC_AM_MARKETPLACE_OMS_ID')
  }
  if (e.EOSC_AM_PSEUDONYM_KEY && e.EOSC_AM_PSEUDONYM_KEYS) problems.push('set EOSC_AM_PSEUDONYM_KEY or EOSC_AM_PSEUDONYM_KEYS, not both')
  let pseudonymKeys: PeriodKey[] | undefined
  if (e.EOSC_AM_PSEUDONYM_KEYS) {
    try {
      pseudonymKeys = parseKeyring(e.EOSC_AM_PSEUDONYM_KEYS)
    } catch (err) {
      problems.push((err as Error).message)
    }
  }
  const oidc = oidcConfig(e, problems)
  if (problems.length) throw new ConfigError(problems)

  const config: Config = {
    host: e.EOSC_AM_HOST,
    port: e.EOSC_AM_PORT,
    dataDir: e.EOSC_AM_DATA_DIR,
    logLevel: e.EOSC_AM_LOG_LEVEL,
    clickhouse: e.EOSC_AM_CLICKHOUSE_URL
      ? {
          kind: 'server',
          url: e.EOSC_AM_CLICKHOUSE_URL,
          username: e.EOSC_AM_CLICKHOUSE_USER,
          password: e.EOSC_AM_CLICKHOUSE_PASSWORD,
          database: e.EOSC_AM_CLICKHOUSE_DATABASE,
        }
      : { kind: 'embedded', path: `${e.EOSC_AM_DATA_DIR}/clickhouse` },
    kafka: e.EOSC_AM_KAFKA_BROKERS
      ? {
          brokers: e.EOSC_AM_KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
          clientId: e.EOSC_AM_KAFKA_CLIENT_ID,
          topicPrefix: e.EOSC_AM_KAFKA_TOPIC_PREFIX,
          partitions: e.EOSC_AM_KAFKA_PARTITIONS,
          replicationFactor: e.EOSC_AM_KAFKA_REPLICATION_FACTOR,
          groupId: e.EOSC_AM_KAFKA_GROUP_ID,
          ssl: e.EOSC_AM_KAFKA_SSL,
          sasl: e.EOSC_AM_KAFKA_SASL_MECHANISM
            ? {
                mechanism: e.EOSC_AM_KAFKA_SASL_MECHANISM,
                username: e.EOSC_AM_KAFKA_SASL_USERNAME ?? '',
                password: e.EOSC_AM_KAFKA_SASL_PASSWORD ?? '',
              }
            : undefined,
        }
      : undefined,
    adminToken: e.EOSC_AM_ADMIN_TOKEN,
    pseudonymKey: e.EOSC_AM_PSEUDONYM_KEY,
    pseudonymKeys,
    oidc,
    suppressionK: e.EOSC_AM_SUPPRESSION_K,
    userRetentionMonths: e.EOSC_AM_USER_RETENTION_MONTHS,
    intakeWorkers: e.EOSC_AM_INTAKE_WORKERS,
    groupCommit: {
      maxRows: e.EOSC_AM_GROUP_COMMIT_MAX_ROWS,
      maxBytes: e.EOSC_AM_GROUP_COMMIT_MAX_BYTES,
      maxWaitMs: e.EOSC_AM_GROUP_COMMIT_MAX_WAIT_MS,
      lingerMs: e.EOSC_AM_GROUP_COMMIT_LINGER_MS,
    },
    monitoring: monitoringConfig(e),
    marketplace:
      e.EOSC_AM_MARKETPLACE_URL && e.EOSC_AM_MARKETPLACE_OMS_ID
        ? {
            url: e.EOSC_AM_MARKETPLACE_URL,
            omsId: e.EOSC_AM_MARKETPLACE_OMS_ID,
            token: e.EOSC_AM_MARKETPLACE_TOKEN,
            instance: e.EOSC_AM_MARKETPLACE_INSTANCE,
            pollCron: e.EOSC_AM_MARKETPLACE_POLL_CRON,
            triggerSecret: e.EOSC_AM_MARKETPLACE_TRIGGER_SECRET,
            pageLimit: e.EOSC_AM_MARKETPLACE_PAGE_LIMIT,
            retry: {
              retries: e.EOSC_AM_MARKETPLACE_RETRIES,
              minMs: e.EOSC_AM_MARKETPLACE_RETRY_MIN_MS,
              maxMs: Math.max(e.EOSC_AM_MARKETPLACE_RETRY_MIN_MS, e.EOSC_AM_MARKETPLACE_RETRY_MAX_MS),
            },
          }
        : undefined,
  }
  return Object.freeze(config)
}

const Grants = z.record(z.string().min(1), EntitlementGrant)

/** OIDC is on when its three settings are given together; the grants are JSON, checked here. */
function oidcConfig(e: z.infer<typeof EnvSchema>, problems: string[]): OidcConfig | undefined {
  const { EOSC_AM_OIDC_ISSUER: issuer, EOSC_AM_OIDC_JWKS_URL: jwksUrl, EOSC_AM_OIDC_GRANTS: grantsJson } = e
  if (!issuer && !jwksUrl && !grantsJson) return undefined
  if (!issuer || !jwksUrl || !grantsJson) {
    problems.push('OIDC needs EOSC_AM_OIDC_ISSUER, EOSC_AM_OIDC_JWKS_URL and EOSC_AM_OIDC_GRANTS together')
    return undefined
  }
  let json: unknown
  try {
    json = JSON.parse(grantsJson)
  } catch {
    problems.push('EOSC_AM_OIDC_GRANTS: must be JSON, e.g. {"urn:mace:egi.eu:group:accounting:role=admin#aai.egi.eu": {"role": "admin"}}')
    return undefined
  }
  const grants = Grants.safeParse(json)
  if (!grants.success) {
    for (const i of grants.error.issues) problems.push(`EOSC_AM_OIDC_GRANTS.${i.path.join('.')}: ${i.message}`)
    return undefined
  }
  for (const [entitlement, g] of Object.entries(grants.data)) {
    if (g.role === 'provider' && g.providers.length === 0) problems.push(`EOSC_AM_OIDC_GRANTS.${entitlement}: a provider grant needs at least one provider`)
  }
  return { issuer, jwksUrl, audience: e.EOSC_AM_OIDC_AUDIENCE, entitlementClaim: e.EOSC_AM_OIDC_ENTITLEMENT_CLAIM, grants: Object.entries(grants.data) }
}
