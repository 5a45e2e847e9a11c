import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './api/app.js'
import { TokenStore } from './auth/token-store.js'
import { MetricCatalog } from './catalog/metric-catalog.js'
import { VersionClock } from './collectors/version-clock.js'
import { createDirectBus } from './pipeline/direct-bus.js'
import type { KindWriters } from './pipeline/bus.js'
import { createUsageWriter } from './pipeline/usage-writer.js'
import { createClickHouseClient } from './platform/clickhouse/client.js'
import { migrate } from './platform/clickhouse/migrate.js'
import { applyRetention } from './platform/clickhouse/retention.js'
import { Store } from './platform/clickhouse/store.js'
import type { Config } from './platform/config.js'
import { createMetrics } from './platform/metrics.js'
import { loadOrCreateKey, Pseudonymiser } from './privacy/pseudonymiser.js'

export interface Engine {
  app: FastifyInstance
  store: Store
  close(): Promise<void>
}

/** Opens storage and applies migrations; shared by `serve`, `migrate` and the other commands. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  const store = new Store(createClickHouseClient(config.clickhouse), config.clickhouse.kind)
  await migrate(store, undefined, (name) => logger.info({ migration: name }, 'migration applied'))
  await applyRetention(store, config.userRetentionMonths)
  return store
}

/** The composition root: builds every component once and wires them together. */
export async function createEngine(config: Config, logger: Logger): Promise<Engine> {
  const store = await openStore(config, logger)
  const metrics = createMetrics()
  const pseudonymiser = new Pseudonymiser(
    loadOrCreateKey(config.pseudonymKey, config.dataDir, (path) => logger.warn({ path }, 'generated a new pseudonym key; back it up: without it pseudonyms cannot be reproduced')),
  )
  const tokens = new TokenStore(store, config.adminToken)
  const catalog = new MetricCatalog(store)
  await catalog.load()
  const writers: KindWriters = { usage: createUsageWriter({ store, metrics, isLevelMetric: (m) => catalog.aggregationOf(m) !== 'sum' }) }
  const bus = createDirectBus({ store, writers, limits: config.groupCommit, metrics })
  const app = await buildApp({ config, logger, store, bus, tokens, catalog, pseudonymiser, clock: new VersionClock(), metrics })
  return {
    app,
    store,
    async close() {
      await app.close()
      await bus.close()
      await store.close()
    },
  }
}
