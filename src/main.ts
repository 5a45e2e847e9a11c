import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './api/app.js'
import { createOidcVerifier } from './auth/oidc.js'
import { TokenStore } from './auth/token-store.js'
import { MetricCatalog } from './catalog/metric-catalog.js'
import { ResourceAliases } from './catalog/resource-aliases.js'
import { createResourceProviders } from './catalog/resource-providers.js'
import { UsageIntake } from './collectors/usage-intake.js'
import { VersionClock } from './collectors/version-clock.js'
import { createPipeline } from './pipeline/bus-factory.js'
import type { KindWriters } from './pipeline/bus.js'
import { StoredKeys } from './pipeline/stored-keys.js'
import { createUsageWriter } from './pipeline/usage-writer.js'
import { migrate } from './platform/clickhouse/migrate.js'
import { applyRetention } from './platform/clickhouse/retention.js'
import { connectStore } from './platform/clickhouse/client.js'
import type { Store } from './platform/clickhouse/store.js'
import type { Config } from './platform/config.js'
import { createMetrics } from './platform/metrics.js'
import { createMonitoring, type Monitoring } from './monitoring/monitoring.js'
import { AuditLog } from './privacy/audit-log.js'
import { createErasure } from './privacy/erasure.js'
import { openPseudonymiser } from './privacy/pseudonymiser.js'
import { createOrderServices, type OrderServices } from './orders/order-services.js'

/** How often, on a ClickHouse server, metric definitions are checked for changes by other processes. */
const CATALOG_CHECK_MS = 5_000

export interface Engine {
  app: FastifyInstance
  store: Store
  tokens: TokenStore
  orders: OrderServices
  monitoring: Monitoring
  /** Resolves once usage written before the call is visible to reports (and to direct reads of the usage tables). */
  settleUsage(): Promise<void>
  close(): Promise<void>
}

/** Opens storage and applies migrations; shared by `serve`, `migrate` and the other commands. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const store = connectStore(config.clickhouse, logger)
  await migrate(store, undefined, (name) => logger.info({ migration: name }, 'migration applied'))
  await applyRetention(store, config.userRetentionMonths)
  return store
}

/** The composition root: builds every component once and wires them together. */
export interface EngineOptions {
  /** Run the Kafka sink in this process (when Kafka is configured): `serve --no-sink` turns it off. */
  runSink?: boolean
}

export async function createEngine(config: Config, logger: Logger, options: EngineOptions = {}): Promise<Engine> {
  const store = await openStore(config, logger)
  const metrics = createMetrics()
  const pseudonymiser = openPseudonymiser(config, (path) =>
    logger.warn({ path }, 'generated a new pseudonym key; back it up: without it pseudonyms cannot be reproduced'),
  )
  const audit = new AuditLog(store)
  const tokens = new TokenStore(store, audit, config.adminToken, config.oidc && createOidcVerifier(config.oidc, (sub) => pseudonymiser.pseudonymise(sub)))
  const catalog = new MetricCatalog(store)
  await catalog.load()
  const clock = new VersionClock()
  const embedded = config.clickhouse.kind === 'embedded'
  // Embedded, definitions change only through this process.
  const stopCatalogWatch = embedded ? undefined : catalog.watch(CATALOG_CHECK_MS, (err) => logger.warn({ err }, 'checking metric definitions failed'))
  const monitoring = await createMonitoring({ store, clock, logger, metrics, config: config.monitoring, shared: !embedded })
  const storedKeys = embedded ? new StoredKeys() : undefined
  const usageWriter = createUsageWriter({
    store,
    metrics,
    isLevelMetric: (m) => catalog.aggregationOf(m) !== 'sum',
    storedKeys,
    landing: embedded ? { onError: (err) => logger.error({ err }, 'moving landed usage failed; retrying in 1 s') } : undefined,
  })
  const recovered = await usageWriter.recover()
  if (recovered) logger.info({ rows: recovered }, 'moved usage rows a stopped process had landed')
  if (storedKeys) loadStoredKeys(storedKeys, store, logger)
  const erase = createErasure({ store, pseudonymiser, audit, exclusively: (fn) => usageWriter.exclusively(fn) })
  const writers: KindWriters = {
    usage: usageWriter,
    probe: monitoring.writers.probe,
    downtime: monitoring.writers.downtime,
  }
  const { bus, publishUsage, sink } = createPipeline(config, { store, writers, usage: usageWriter, metrics, logger, runSink: options.runSink ?? true })
  const aliases = new ResourceAliases(store, clock, { shared: !embedded })
  await aliases.load()
  const usageIntake = new UsageIntake({ catalog, aliases, keys: pseudonymiser.keyring, clock, workers: config.intakeWorkers })
  await usageIntake.start()
  // Starts the scheduled Marketplace poll when one is configured; stopped by close().
  const orders = createOrderServices({
    config,
    store,
    pseudonymise: (id, atMs) => pseudonymiser.pseudonymise(id, atMs),
    logger,
    metrics,
    // A resource's provider: the topology first, else the one declared with its aliases.
    providers: createResourceProviders({ aliases, topology: monitoring.topology }),
    schedule: true,
  })
  const app = await buildApp({ config, logger, store, bus, usageIntake, publishUsage, settleUsage: () => usageWriter.settled(), tokens, catalog, pseudonymiser, audit, erase, clock, metrics, aliases, orders, monitoring }).catch(async (err: unknown) => {
    await orders.close()
    await usageIntake.close()
    throw err
  })
  await sink?.start()
  // Background recompute, prober and monthly reports; stopped by close() before the bus.
  monitoring.start(bus)
  return {
    app,
    store,
    tokens,
    orders,
    monitoring,
    settleUsage: () => usageWriter.settled(),
    async close() {
      await app.close()
      await usageIntake.close()
      await audit.flush()
      await monitoring.close()
      await orders.close()
      await bus.close()
      await sink?.stop()
      await usageWriter.close()
      await storedKeys?.stop()
      stopCatalogWatch?.()
      await store.close()
    },
  }
}

/**
 * Embedded, this process is the only writer of usage records (chDB locks the data folder to one
 * process), so a filter of the stored keys can spare the replacement lookup. Loaded in the
 * background: until then every key is looked up.
 */
function loadStoredKeys(keys: StoredKeys, store: Store, logger: Logger): void {
  const started = Date.now()
  keys
    .load(store, (n) => {
      if (n % 1_000_000 === 0) logger.info({ keys: n }, 'loading stored usage keys')
    })
    .then(
      (keys) => keys !== null && logger.info({ keys, ms: Date.now() - started }, 'stored usage keys loaded'),
      (err: unknown) => logger.warn({ err }, 'could not load the stored usage keys; every re-send check goes to ClickHouse'),
    )
}
