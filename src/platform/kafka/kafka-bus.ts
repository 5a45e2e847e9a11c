import { Partitioners, type Admin, type Message, type PartitionMetadata, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Bus, RecordKind } from '../../pipeline/bus.js'
import { InfraError } from '../errors.js'
import { createKafkaClient } from './kafka-client.js'
import type { KafkaSettings } from './kafka-config.js'
import { toBusError } from './kafka-errors.js'
import { kafkaBusMetrics } from './kafka-metrics.js'
import { messageChunks } from './message-chunks.js'
import { ensureTopics, RECORD_KINDS, topicFor } from './topics.js'

export interface KafkaBusDeps {
  logger: Logger
  metrics?: Registry
  /** The partition key of a row (rows with one key stay ordered); default: provider, else hostname. */
  keyOf?: (kind: RecordKind, row: Record<string, unknown>) => string | null
}

/** kafkajs retries inside one send; then the caller gets BUS_UNAVAILABLE (after ~8 s of outage). */
const PRODUCER_RETRY = { retries: 6, initialRetryTime: 100, maxRetryTime: 2_000 }
/** Broker-side wait for all in-sync replicas. */
const ACK_TIMEOUT_MS = 10_000
const HEALTH_TIMEOUT_MS = 3_000
/** How long the topics' partition metadata is trusted (kafkajs' own metadataMaxAge). */
const METADATA_MAX_AGE_MS = 300_000

interface ProducerSlot {
  producer: Producer
  ready: Promise<void>
  inFlight: number
  retired: boolean
  /** kafkajs' default partitioner (its round robin for rows without a key is per producer). */
  assign: ReturnType<typeof Partitioners.DefaultPartitioner>
}

type TopicPartitions = Map<string, PartitionMetadata[]>

/**
 * The production bus: rows go to one topic per kind with acks=-1, so `publish` resolves once every
 * in-sync replica has them. Values are the rows' JSON (already validated and pseudonymised).
 *
 * Partitions are chosen here, by kafkajs' default partitioner over the topics' metadata (read
 * with the admin client, refreshed every 5 minutes and after a failed send), so that a publish is
 * split into produce requests by the bytes each partition gets, not by the request's total:
 * large record batches are what make both the broker and the sink's fetches efficient.
 *
 * The producer is idempotent: kafkajs' own retries inside a send cannot duplicate or reorder.
 * After a send finally fails, that producer is retired and the next publish gets a fresh producer
 * id: the old one's sequence numbers no longer match the broker's (it may have stored a batch
 * whose ack was lost), and reusing them with new rows could make the broker drop those rows as
 * duplicates. A publish that failed may still have reached Kafka in part; a client retrying it
 * then produces the rows again, which the store absorbs ((provider, record_id) replaces).
 */
export function createKafkaBus(settings: KafkaSettings, deps: KafkaBusDeps): Bus {
  const kafka = createKafkaClient(settings, deps.logger)
  const metrics = kafkaBusMetrics(deps.metrics)
  const keyOf = deps.keyOf ?? defaultKey
  const inFlight = new Set<Promise<void>>()
  let partitions: { at: number; map: Promise<TopicPartitions> } | undefined
  let slot: ProducerSlot | undefined
  let healthAdmin: Admin | undefined
  let closed = false

  const readPartitions = async (): Promise<TopicPartitions> => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const created = await ensureTopics(admin, settings)
      if (created.length) deps.logger.info({ topics: created }, 'created Kafka topics')
      const { topics } = await admin.fetchTopicMetadata({ topics: RECORD_KINDS.map((kind) => topicFor(settings, kind)) })
      return new Map(topics.map((t) => [t.name, t.partitions]))
    } finally {
      await admin.disconnect()
    }
  }

  const topicPartitions = (): Promise<TopicPartitions> => {
    if (!partitions || performance.now() - partitions.at > METADATA_MAX_AGE_MS) {
      const entry = { at: performance.now(), map: readPartitions() }
      entry.map.catch(() => {
        if (partitions === entry) partitions = undefined
      })
      partitions = entry
    }
    return partitions.map
  }

  const acquire = (): ProducerSlot => {
    if (!slot || slot.retired) {
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: PRODUCER_RETRY,
      })
      slot = { producer, ready: producer.connect(), inFlight: 0, retired: false, assign: Partitioners.DefaultPartitioner() }
    }
    return slot
  }

  const release = (s: ProducerSlot, failed: boolean) => {
    s.inFlight--
    if (failed) s.retired = true
    // Sends still using a retired producer finish first; its connections close after the last.
    if (s.retired && s.inFlight === 0) s.producer.disconnect().catch(() => undefined)
  }

  async function send(kind: RecordKind, rows: readonly Record<string, unknown>[]): Promise<void> {
    const topic = topicFor(settings, kind)
    const s = acquire()
    s.inFlight++
    const started = performance.now()
    let failed = false
    try {
      const [topics] = await Promise.all([topicPartitions(), s.ready])
      const partitionMetadata = topics.get(topic) ?? []
      const messages = rows.map((row): Message => {
        // Bytes once here rather than a string measured and encoded again for each use.
        const message: Message = { key: keyOf(kind, row), value: Buffer.from(JSON.stringify(row)) }
        if (partitionMetadata.length) message.partition = s.assign({ topic, partitionMetadata, message })
        return message
      })
      for (const chunk of messageChunks(messages)) {
        await s.producer.send({ topic, acks: -1, timeout: ACK_TIMEOUT_MS, messages: chunk })
      }
    } catch (err) {
      failed = true
      partitions = undefined // leaders or partitions may have changed
      const busError = toBusError(err)
      deps.logger.warn({ kind, rows: rows.length, code: busError.code, cause: errorName(err) }, 'Kafka publish failed')
      throw busError
    } finally {
      release(s, failed)
      const outcome = failed ? 'failed' : 'ok'
      metrics.publishSeconds.observe({ kind, outcome }, (performance.now() - started) / 1000)
    }
  }

  return {
    async publish(kind, rows) {
      if (closed) throw new InfraError('BUS_CLOSED', 'the bus is shutting down', { retriable: true })
      if (!rows.length) return
      const p = send(kind, rows)
      const tracked = p.catch(() => undefined)
      inFlight.add(tracked)
      void tracked.finally(() => inFlight.delete(tracked))
      return p
    },

    async close() {
      closed = true
      await Promise.all(inFlight)
      const last = slot
      slot = undefined
      await Promise.allSettled([last?.ready.then(() => last.producer.disconnect()), healthAdmin?.disconnect()])
    },

    async health() {
      try {
        healthAdmin ??= kafka.admin({ retry: { retries: 0 } })
        const admin = healthAdmin
        await withTimeout(
          admin.connect().then(() => admin.describeCluster()),
          HEALTH_TIMEOUT_MS,
        )
        return { ok: true, detail: { bus: 'kafka', kafka: 'ok' } }
      } catch {
        // A fresh admin next time: a half-broken connection must not stick.
        const broken = healthAdmin
        healthAdmin = undefined
        broken?.disconnect().catch(() => undefined)
        return { ok: false, detail: { bus: 'kafka', kafka: 'unavailable' } }
      }
    },
  }
}

function defaultKey(_kind: RecordKind, row: Record<string, unknown>): string | null {
  const key = row.provider ?? row.hostname
  return key === undefined || key === null ? null : String(key)
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err
}
