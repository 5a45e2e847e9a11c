import type { Logger } from 'pino'
import type { ResourceProviders } from '../catalog/resource-providers.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { Config } from '../platform/config.js'
import type { Metrics } from '../platform/metrics.js'
import { createMarketplaceClient } from './marketplace-client.js'
import { createClickHouseOrderStore, type ClickHouseOrderStore } from './order-store.js'
import { createOrderSync, type OrderSync } from './order-sync.js'

/** What the API and the CLI use of the order intake. */
export interface OrderServices {
  store: ClickHouseOrderStore
  /** Null when no Marketplace is configured: orders then arrive only by direct push. */
  sync: OrderSync | null
  /** The shared secret the Marketplace trigger may present as HTTP Basic password. */
  triggerSecret: string | null
  /** Who owns each resource: scopes provider tokens to their orders. */
  providers: ResourceProviders
  close(): Promise<void>
}

export function createOrderServices(deps: {
  config: Pick<Config, 'marketplace'>
  store: Store
  pseudonymise: (id: string, atMs?: number) => string
  logger: Logger
  metrics: Metrics
  providers: ResourceProviders
  /** Run the cron schedule (the server); the CLI polls once without it. */
  schedule: boolean
}): OrderServices {
  const mp = deps.config.marketplace
  const store = createClickHouseOrderStore(deps.store, { source: mp ? `${mp.instance}|${mp.omsId}` : 'push' })
  const sync = mp
    ? createOrderSync({
        client: createMarketplaceClient({ baseUrl: mp.url, omsId: mp.omsId, ...(mp.token ? { token: mp.token } : {}) }),
        store,
        instance: mp.instance,
        pseudonymise: deps.pseudonymise,
        logger: deps.logger.child({ component: 'orders' }),
        metrics: deps.metrics,
        ...(deps.schedule ? { cron: mp.pollCron } : {}),
        poller: { pageLimit: mp.pageLimit, retry: mp.retry },
        recovery: { minMs: mp.retry.minMs * 20, maxMs: mp.retry.maxMs * 10 },
      })
    : null
  return {
    store,
    sync,
    triggerSecret: mp?.triggerSecret ?? null,
    providers: deps.providers,
    close: async () => {
      await sync?.close()
    },
  }
}
