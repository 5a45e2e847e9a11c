import { mkdirSync } from 'node:fs'
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { Config } from '../config.js'
import { Store } from './store.js'

export type ClickHouseTarget = Config['clickhouse']

/** The only place that builds a ClickHouse client: embedded chDB or a server, same client API. */
export function createClickHouseClient(target: ClickHouseTarget): ClickHouseClient {
  if (target.kind === 'embedded') {
    mkdirSync(target.path, { recursive: true })
    // chdb bundles its own copy of @clickhouse/client-common's types; the runtime contract is the same.
    const connection = createChdbConnection({ path: target.path }) as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>
    return createClient({ connection })
  }
  return createClient({
    url: target.url,
    username: target.username,
    password: target.password,
    database: target.database,
    request_timeout: 60_000,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  })
}

/** A Store on a new client for the target: the composition root and the benchmarks open it so. */
export function connectStore(target: ClickHouseTarget): Store {
  return new Store(createClickHouseClient(target), target)
}
