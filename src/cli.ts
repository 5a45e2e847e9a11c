#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { Role } from './auth/roles.js'
import { TokenStore } from './auth/token-store.js'
import { ResourceAliases } from './catalog/resource-aliases.js'
import { createResourceProviders } from './catalog/resource-providers.js'
import { VersionClock } from './collectors/version-clock.js'
import { createEngine, openStore, type Engine } from './main.js'
import { ConfigError, loadConfig, type Config } from './platform/config.js'
import { InfraError } from './platform/errors.js'
import { createLogger } from './platform/logging.js'
import { createMetrics } from './platform/metrics.js'
import { createOrderServices } from './orders/order-services.js'
import { AuditLog } from './privacy/audit-log.js'
import { openPseudonymiser } from './privacy/pseudonymiser.js'
import { availabilityReportCommand, REPORT_USAGE } from './reports/availability-report.command.js'

const USAGE = `eosc-am — EOSC accounting and monitoring aggregation engine

Usage:
  eosc-am serve [--no-sink]             start the API (default: embedded ClickHouse in ./data); with
                                        EOSC_AM_KAFKA_BROKERS also the Kafka sink, unless --no-sink
  eosc-am sink                          run only the Kafka → ClickHouse sink (scale out: one per partition)
  eosc-am migrate                       apply database migrations and exit
  eosc-am token create --role ROLE [--provider ID ...] [--name NAME]
                                        create an API token (printed once)
  eosc-am orders sync                   poll the Marketplace for order changes now (progress on stderr)
${REPORT_USAGE}

Configuration comes from EOSC_AM_* environment variables (see README).`

async function main(argv: string[]): Promise<number> {
  const [command, sub] = argv
  let config: Config
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      return 2
    }
    throw err
  }
  const logger = createLogger(config.logLevel)

  switch (command) {
    case 'serve':
    case undefined:
      return serve(config, logger, { runSink: !argv.includes('--no-sink') })
    case 'sink':
      return runSink(config, logger)
    case 'migrate': {
      const store = await openStore(config, logger)
      await store.close()
      process.stdout.write('migrations applied\n')
      return 0
    }
    case 'token':
      if (sub !== 'create') break
      return createToken(config, logger, argv.slice(2))
    case 'orders':
      if (sub !== 'sync') break
      return syncOrders(config, logger)
    case 'report':
      if (sub !== 'availability') break
      return availabilityReportCommand(config, logger, argv.slice(2))
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n')
      return 0
  }
  process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${USAGE}\n`)
  return 2
}

async function runSink(config: Config, logger: ReturnType<typeof createLogger>): Promise<number> {
  if (!config.kafka) {
    process.stderr.write('eosc-am sink needs EOSC_AM_KAFKA_BROKERS (without Kafka, serve writes directly)\n')
    return 2
  }
  const engine = await createEngine(config, logger, { runSink: true })
  logger.info({ brokers: config.kafka.brokers, groupId: config.kafka.groupId }, 'sink running')
  return untilSignal(engine, logger)
}

async function serve(config: Config, logger: ReturnType<typeof createLogger>, options: { runSink: boolean }): Promise<number> {
  const engine = await createEngine(config, logger, options)
  if (!config.adminToken && !(await engine.tokens.hasAdmin())) {
    const { token } = await engine.tokens.create({ name: 'dev-admin', role: 'admin', providers: [] }, 'startup')
    process.stdout.write(
      `\nNo EOSC_AM_ADMIN_TOKEN set: created a development admin token (shown only this once, stored hashed):\n\n  ${token}\n\n`,
    )
  }
  await engine.app.listen({ host: config.host, port: config.port })
  return untilSignal(engine, logger)
}

/** Runs until SIGINT/SIGTERM, then closes the engine (flushing pending batches) and exits 0. */
function untilSignal(engine: Engine, logger: ReturnType<typeof createLogger>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'shutting down')
      await engine.close()
      resolve(0)
    }
    process.on('SIGINT', () => void stop('SIGINT'))
    process.on('SIGTERM', () => void stop('SIGTERM'))
  })
}

async function createToken(config: Config, logger: ReturnType<typeof createLogger>, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { role: { type: 'string' }, provider: { type: 'string', multiple: true }, name: { type: 'string' } },
    strict: true,
  })
  const role = Role.safeParse(values.role)
  if (!role.success) {
    process.stderr.write(`--role must be one of ${Role.options.join(', ')}\n`)
    return 2
  }
  const providers = z.array(z.string().min(1)).parse(values.provider ?? [])
  if (role.data === 'provider' && providers.length === 0) {
    process.stderr.write('a provider token needs at least one --provider\n')
    return 2
  }
  const store = await openStore(config, logger)
  const created = await new TokenStore(store, new AuditLog(store)).create({ name: values.name ?? `${role.data}-token`, role: role.data, providers }, 'cli')
  await store.close()
  process.stdout.write(`${created.token}\n`)
  process.stderr.write(`created ${role.data} token '${created.name}'${providers.length ? ` for ${providers.join(', ')}` : ''} (shown once)\n`)
  return 0
}

/** One poll of the Marketplace events, page by page; the cursor is shared with the server's polls. */
async function syncOrders(config: Config, logger: ReturnType<typeof createLogger>): Promise<number> {
  if (!config.marketplace) {
    process.stderr.write('no Marketplace configured: set EOSC_AM_MARKETPLACE_URL and EOSC_AM_MARKETPLACE_OMS_ID\n')
    return 2
  }
  const store = await openStore(config, logger)
  const pseudonymiser = openPseudonymiser(config, (path) => logger.warn({ path }, 'generated a new pseudonym key; back it up'))
  const aliases = new ResourceAliases(store, new VersionClock())
  const orders = createOrderServices({
    config,
    store,
    pseudonymise: (id) => pseudonymiser.pseudonymise(id),
    logger,
    metrics: createMetrics(),
    providers: createResourceProviders({ aliases }),
    schedule: false,
  })
  try {
    process.stderr.write(`polling ${config.marketplace.url} (OMS ${config.marketplace.omsId}) ...\n`)
    const r = await orders.sync!.pollNow((p) =>
      process.stderr.write(`  page stored: ${p.events} new events, ${p.orders} orders; cursor now ${p.cursor.timestamp}\n`),
    )
    process.stdout.write(`orders sync done: ${r.events} new events in ${r.pages} pages, ${r.orders} order states stored, ${r.skipped} events skipped\n`)
    return 0
  } catch (err) {
    process.stderr.write(`orders sync failed: ${err instanceof Error ? err.message : String(err)}; pages already stored stay stored, the next sync resumes there\n`)
    return 1
  } finally {
    await orders.close()
    await store.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code)
  },
  (err) => {
    process.stderr.write(`eosc-am: ${fatalMessage(err)}\n`)
    process.exit(1)
  },
)

/** An unavailable or refusing store or broker is the operator's to fix: its cause, no stack trace. */
function fatalMessage(err: unknown): string {
  if (err instanceof InfraError) return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message
  if (err instanceof Error && typeof (err as { type?: unknown }).type === 'string') return `ClickHouse refused: ${err.message}`
  return err instanceof Error ? (err.stack ?? err.message) : String(err)
}
