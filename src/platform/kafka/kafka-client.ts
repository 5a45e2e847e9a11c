import { connect as netConnect, isIP } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { Kafka, logLevel, type ISocketFactory, type LogEntry, type SASLOptions } from 'kafkajs'
import type { Logger } from 'pino'
import type { KafkaSettings } from './kafka-config.js'

/**
 * The one place a kafkajs client is built. kafkajs logs go to pino at warn and above, reduced to
 * a few routing fields: its log entries can carry whole errors, and record contents must never
 * reach the logs.
 */
export function createKafkaClient(settings: KafkaSettings, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' })
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl ?? false,
    sasl: settings.sasl && saslOptions(settings.sasl),
    // Bounds one request (a produce waits for all in-sync replicas) so a silent broker turns into
    // a retriable timeout instead of a request hanging on for kafkajs' default 30 s per attempt.
    requestTimeout: 15_000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => forward(log, entry),
    socketFactory,
  })
}

/**
 * kafkajs' own socket factory, plus TCP_NODELAY (as Kafka brokers set it): without it, small
 * requests such as offset commits wait on Nagle's algorithm against delayed ACKs (~40 ms each).
 */
const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : netConnect({ host, port }, onConnect)
  socket.setKeepAlive(true, 60_000)
  socket.setNoDelay(true)
  return socket
}

/** Spelled out per mechanism: kafkajs types SASL options as a union keyed by the mechanism. */
function saslOptions({ mechanism, username, password }: NonNullable<KafkaSettings['sasl']>): SASLOptions {
  switch (mechanism) {
    case 'plain':
      return { mechanism, username, password }
    case 'scram-sha-256':
      return { mechanism, username, password }
    case 'scram-sha-512':
      return { mechanism, username, password }
  }
}

/**
 * Warnings kafkajs gives about choices made here on purpose: the bus bounds an idempotent
 * producer's retries and retires the producer after a failed send (see kafka-bus.ts).
 */
const EXPECTED = new Set(['Limiting retries for the idempotent producer may invalidate EoS guarantees'])

function forward(log: Logger, { namespace, level, log: entry }: LogEntry): void {
  const fields = {
    namespace,
    broker: entry.broker as unknown,
    groupId: entry.groupId as unknown,
    topic: entry.topic as unknown,
    retryCount: entry.retryCount as unknown,
    error: typeof entry.error === 'string' ? entry.error : (entry.error as Error | undefined)?.name,
  }
  if (EXPECTED.has(entry.message)) log.debug(fields, entry.message)
  else if (level === logLevel.ERROR) log.error(fields, entry.message)
  else log.warn(fields, entry.message)
}
