import { mkdirSync } from 'node:fs'
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseClientConfigOptions, type Logger as ClientLogger } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { Store } from './store.js'

export type ClickHouseTarget = Config['clickhouse']

/** The only place that builds a ClickHouse client: embedded chDB or a server, same client API. */
export function createClickHouseClient(target: ClickHouseTarget, logger?: Logger): ClickHouseClient {
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
    // A batch's replacement lookup binds every record id: past a few KiB the parameters go in the
    // request body (URLs are limited, 1 MiB by default in ClickHouse, less in proxies).
    use_multipart_params_auto: true,
    ...(logger && { log: { LoggerClass: clientLogger(logger), level: ClickHouseLogLevel.WARN } }),
  })
}

/**
 * The client's own warnings and errors, into the engine's log (not the console) as one line each.
 * Only the message and the error's code go: the client's arguments carry query parameters.
 */
function clientLogger(logger: Logger): new () => ClientLogger {
  const log = logger.child({ component: 'clickhouse-client' })
  const line = (level: 'warn' | 'error') => ({ module, message, err }: { module: string; message: string; err?: Error }) =>
    log[level]({ module, error: err && { name: err.name, message: err.message, code: (err as { code?: unknown }).code } }, message)
  return class {
    trace() {}
    debug() {}
    info() {}
    warn = line('warn')
    error = line('error')
  }
}

/** A Store on a new client for the target: the composition root and the benchmarks open it so. */
export function connectStore(target: ClickHouseTarget, logger?: Logger): Store {
  return new Store(createClickHouseClient(target, logger), target)
}
