import type { Logger } from 'pino'
import type { TokenStore } from '../auth/token-store.js'
import type { MetricCatalog } from '../catalog/metric-catalog.js'
import type { ResourceAliases } from '../catalog/resource-aliases.js'
import type { VersionClock } from '../collectors/version-clock.js'
import type { UsageIntake } from '../collectors/usage-intake.js'
import type { Bus } from '../pipeline/bus.js'
import type { UsagePart } from '../pipeline/usage-part.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { Config } from '../platform/config.js'
import type { Metrics } from '../platform/metrics.js'
import type { Monitoring } from '../monitoring/monitoring.js'
import type { OrderServices } from '../orders/order-services.js'
import type { AuditLog } from '../privacy/audit-log.js'
import type { Erase } from '../privacy/erasure.js'
import type { Pseudonymiser } from '../privacy/pseudonymiser.js'

/** Everything the API needs, built once by the composition root (src/main.ts) or a test. */
export interface ApiDeps {
  config: Pick<Config, 'suppressionK'>
  logger: Logger
  store: Store
  bus: Bus
  /** Usage bodies are parsed, validated and pseudonymised on worker threads. */
  usageIntake: Pick<UsageIntake, 'collect'>
  /** Makes a usage part durable (the pipeline's publishUsage). */
  publishUsage: (part: UsagePart) => Promise<void>
  /** Resolves once usage written before the call is visible to reports (the usage writer's `settled`). */
  settleUsage: () => Promise<void>
  tokens: TokenStore
  catalog: MetricCatalog
  pseudonymiser: Pseudonymiser
  audit: AuditLog
  erase: Erase
  clock: VersionClock
  metrics: Metrics
  aliases: ResourceAliases
  orders: OrderServices
  monitoring: Monitoring
}
