#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { Role } from './auth/roles.js'
import { TokenStore } from './auth/token-store.js'
import { createEngine, openStore } from './main.js'
import { ConfigError, loadConfig, type Config } from './platform/config.js'
import { createLogger } from './platform/logging.js'

const USAGE = `eosc-am — EOSC accounting and monitoring aggregation engine

Usage:
  eosc-am serve                         start the API (default: embedded ClickHouse in ./data)
  eosc-am migrate                       apply database migrations and exit
  eosc-am token create --role ROLE [--provider ID ...] [--name NAME]
                                        create an API token (printed once)

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
      return serve(config, logger)
    case 'migrate': {
      const store = await openStore(config, logger)
      await store.close()
      process.stdout.write('migrations applied\n')
      return 0
    }
    case 'token':
      if (sub !== 'create') break
      return createToken(config, logger, argv.slice(2))
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n')
      return 0
  }
  process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${USAGE}\n`)
  return 2
}

async function serve(config: Config, logger: ReturnType<typeof createLogger>): Promise<number> {
  const engine = await createEngine(config, logger)
  const tokens = new TokenStore(engine.store)
  if (!config.adminToken && !(await tokens.hasAdmin())) {
    const { token } = await tokens.create({ name: 'dev-admin', role: 'admin', providers: [] })
    process.stdout.write(
      `\nNo EOSC_AM_ADMIN_TOKEN set: created a development admin token (shown only this once, stored hashed):\n\n  ${token}\n\n`,
    )
  }
  await engine.app.listen({ host: config.host, port: config.port })
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    await engine.close()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  return new Promise(() => {})
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
  const created = await new TokenStore(store).create({ name: values.name ?? `${role.data}-token`, role: role.data, providers })
  await store.close()
  process.stdout.write(`${created.token}\n`)
  process.stderr.write(`created ${role.data} token '${created.name}'${providers.length ? ` for ${providers.join(', ')}` : ''} (shown once)\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code)
  },
  (err) => {
    process.stderr.write(`eosc-am: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
