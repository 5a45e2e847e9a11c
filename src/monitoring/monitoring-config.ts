import { hostname } from 'node:os'
import cron from 'node-cron'
import { z } from 'zod'

/** Env values arrive as strings; empty strings mean "unset" (same helpers as platform/config). */
const optional = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional())
const int = (def: number, min: number, max: number) =>
  z.preprocess((v) => (v === '' || v === undefined ? def : Number(v)), z.number().int().min(min).max(max))
const bool = (def: boolean) =>
  z.preprocess((v) => (v === '' || v === undefined ? def : ['1', 'true', 'yes', 'on'].includes(String(v).toLowerCase())), z.boolean())
const cronExpression = (def: string) => z.string().default(def).refine((c) => cron.validate(c), 'must be a cron expression')

/** Monitoring's variables, spread into the engine's env schema (src/platform/config.ts). */
export const MonitoringEnv = {
  EOSC_AM_PROBER_ENABLED: bool(true),
  EOSC_AM_PROBER_CRON: cronExpression('*/5 * * * *'),
  EOSC_AM_PROBER_TIMEOUT_MS: int(10_000, 100, 300_000),
  EOSC_AM_PROBER_CONCURRENCY: int(16, 1, 1000),
  EOSC_AM_PROBER_NAME: optional,
  EOSC_AM_PROBER_CA_FILE: optional,
  EOSC_AM_AVAILABILITY_REPORT_CRON: cronExpression('15 0 1 * *'),
  EOSC_AM_AVAILABILITY_QUIET_MS: int(2_000, 0, 3_600_000),
  EOSC_AM_AVAILABILITY_MAX_DELAY_MS: int(60_000, 0, 86_400_000),
}

const MonitoringEnvSchema = z.object(MonitoringEnv)
type Env = z.infer<typeof MonitoringEnvSchema>

export interface MonitoringConfig {
  readonly prober: {
    readonly enabled: boolean
    readonly cron: string
    readonly timeoutMs: number
    readonly concurrency: number
    /** The `monitoring_host` of its results (default: this machine's host name). */
    readonly name: string
    /** PEM file of extra CAs the prober trusts. */
    readonly caFile?: string
  }
  /** When monthly reports are generated (UTC). */
  readonly reportCron: string
  /** Background recompute: a day waits until quiet this long, but at most maxDelayMs. */
  readonly recompute: { readonly quietMs: number; readonly maxDelayMs: number }
}

export function monitoringConfig(e: Env): MonitoringConfig {
  return {
    prober: {
      enabled: e.EOSC_AM_PROBER_ENABLED,
      cron: e.EOSC_AM_PROBER_CRON,
      timeoutMs: e.EOSC_AM_PROBER_TIMEOUT_MS,
      concurrency: e.EOSC_AM_PROBER_CONCURRENCY,
      name: e.EOSC_AM_PROBER_NAME ?? `eosc-am@${hostname()}`,
      caFile: e.EOSC_AM_PROBER_CA_FILE,
    },
    reportCron: e.EOSC_AM_AVAILABILITY_REPORT_CRON,
    recompute: { quietMs: e.EOSC_AM_AVAILABILITY_QUIET_MS, maxDelayMs: e.EOSC_AM_AVAILABILITY_MAX_DELAY_MS },
  }
}
