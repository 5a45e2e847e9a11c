import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs'
import pino from 'pino'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockKafka, type MockKafka } from '../../../test/support/kafka-mock/mock-kafka.js'
import { testRows } from '../../../test/support/kafka-mock/test-store.js'
import { InfraError } from '../errors.js'
import { createKafkaBus } from './kafka-bus.js'
import type { KafkaSettings } from './kafka-config.js'
import { deadLetterTopic, RECORD_KINDS, topicFor } from './topics.js'
import { readTopic } from '../../../test/support/kafka-mock/read-topic.js'

const logger = pino({ level: 'silent' })

describe('Kafka bus', () => {
  let mock: MockKafka
  let kafka: Kafka

  beforeAll(async () => {
    mock = await startMockKafka({ brokers: 1 })
    kafka = new Kafka({ clientId: 'bus-test', brokers: mock.brokers, logLevel: logLevel.NOTHING })
  })
  afterAll(async () => {
    await mock?.stop()
  })

  const settingsFor = (partitions = 3): KafkaSettings => ({
    brokers: mock.brokers,
    clientId: 'eosc-am-test',
    topicPrefix: `b-${randomUUID().slice(0, 8)}.`,
    partitions,
    replicationFactor: 1,
  })

  async function endOffsets(topic: string): Promise<number> {
    const admin = kafka.admin()
    await admin.connect()
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)
    } finally {
      await admin.disconnect()
    }
  }

  it('creates its topics and resolves publish only once the broker has every row, keyed and as JSON', async () => {
    const settings = settingsFor()
    const registry = new Registry()
    const bus = createKafkaBus(settings, { logger, metrics: registry })
    const rows = testRows(500)
    try {
      await bus.publish('usage', rows)
      // Read right after publish resolved: acknowledged means on the broker.
      expect(await endOffsets(topicFor(settings, 'usage'))).toBe(rows.length)
      expect((await bus.health()).ok).toBe(true)
    } finally {
      await bus.close()
    }

    const admin = kafka.admin()
    await admin.connect()
    const meta = await admin.fetchTopicMetadata()
    await admin.disconnect()
    const created = new Map(meta.topics.map((t) => [t.name, t.partitions.length]))
    for (const kind of RECORD_KINDS) expect(created.get(topicFor(settings, kind))).toBe(3)
    expect(created.get(deadLetterTopic(settings))).toBe(3)

    const messages = await readTopic(kafka, topicFor(settings, 'usage'), rows.length)
    const byId = new Map(messages.map((m) => [JSON.parse(String(m.value)).record_id as string, m]))
    expect(byId.size).toBe(rows.length)
    for (const row of rows) {
      const m = byId.get(row.record_id)
      expect(m?.key?.toString()).toBe(row.provider)
      expect(JSON.parse(String(m?.value))).toEqual(row)
    }
    const publish = (await registry.getMetricsAsJSON()).find((m) => m.name === 'eosc_am_bus_publish_seconds')
    const count = publish?.values.find((v) => (v as { metricName?: string }).metricName === 'eosc_am_bus_publish_seconds_count')
    expect(count).toMatchObject({ labels: { kind: 'usage', outcome: 'ok' }, value: 1 })
  })

  it('splits a large publish so that no partition gets more than 512 KiB in one produce request, and loses none of it', async () => {
    const settings = settingsFor()
    const bus = createKafkaBus(settings, { logger })
    // ~4 MB of rows over three partitions. One produce request makes exactly one record batch per
    // partition; the mock hands out one record batch per partition per fetch, so the consumed
    // batches show the requests.
    const rows = testRows(12_000, { providers: 13 }).map((r) => ({ ...r, note: 'x'.repeat(200) }))
    try {
      await bus.publish('usage', rows)
    } finally {
      await bus.close()
    }
    const batches = await readBatches(kafka, topicFor(settings, 'usage'), rows.length)
    expect(batches.reduce((sum, b) => sum + b.messages, 0)).toBe(rows.length)
    expect(Math.max(...batches.map((b) => b.bytes))).toBeLessThanOrEqual(512 * 1024)
    // Bounded per partition, not per request: fewer requests than 512 KiB of the total each.
    const total = batches.reduce((sum, b) => sum + b.bytes, 0)
    const perPartition = new Map<number, number>()
    for (const b of batches) perPartition.set(b.partition, (perPartition.get(b.partition) ?? 0) + 1)
    expect(Math.max(...perPartition.values())).toBeLessThan(Math.ceil(total / (512 * 1024)) / 2)
  })

  it('answers BUS_UNAVAILABLE (retriable) while the broker is down, and publishes again once it is back', async () => {
    const outage = await startMockKafka({ brokers: 1 })
    const settings = { ...settingsFor(), brokers: outage.brokers }
    const bus = createKafkaBus(settings, { logger })
    try {
      await bus.publish('probe', [{ hostname: 'h1', status: 'OK' }])
      await outage.brokerDown(1)
      const started = performance.now()
      const err = await bus.publish('probe', [{ hostname: 'h1', status: 'CRITICAL' }]).catch((e: unknown) => e)
      const waited = performance.now() - started
      expect(err).toBeInstanceOf(InfraError)
      expect(err).toMatchObject({ code: 'BUS_UNAVAILABLE', retriable: true })
      expect(waited).toBeLessThan(20_000)
      expect(await bus.health()).toEqual({ ok: false, detail: { bus: 'kafka', kafka: 'unavailable' } })

      await outage.brokerUp(1)
      await bus.publish('probe', [{ hostname: 'h1', status: 'OK' }])
      expect((await bus.health()).ok).toBe(true)
    } finally {
      await bus.close()
    }
    const k = new Kafka({ clientId: 'outage-read', brokers: outage.brokers, logLevel: logLevel.NOTHING })
    const admin = k.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(topicFor(settings, 'probe'))
    await admin.disconnect()
    await outage.stop()
    // The first and the last publish are there; the one answered with 503 may or may not be.
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBeGreaterThanOrEqual(2)
  })

  it('finishes publishes in flight on close and refuses new ones', async () => {
    const settings = settingsFor(1)
    const bus = createKafkaBus(settings, { logger })
    await bus.publish('usage', [])
    const pending = bus.publish('usage', testRows(100))
    await bus.close()
    await expect(pending).resolves.toBeUndefined()
    await expect(bus.publish('usage', testRows(1))).rejects.toMatchObject({ code: 'BUS_CLOSED', retriable: true })
    expect(await endOffsets(topicFor(settings, 'usage'))).toBe(100)
  })
})

/** Reads `count` messages of a topic batch by batch: partition, message count and key+value bytes of each. */
async function readBatches(kafka: Kafka, topic: string, count: number): Promise<{ partition: number; messages: number; bytes: number }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, sessionTimeout: 6_000, maxWaitTimeInMs: 500 })
  const batches: { partition: number; messages: number; bytes: number }[] = []
  let seen = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen} of ${count} from ${topic}`)), 30_000)
      void consumer.run({
        eachBatch: async ({ batch }) => {
          const bytes = batch.messages.reduce((sum, m) => sum + (m.key?.length ?? 0) + (m.value?.length ?? 0), 0)
          batches.push({ partition: batch.partition, messages: batch.messages.length, bytes })
          seen += batch.messages.length
          if (seen >= count) (clearTimeout(timer), resolve())
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return batches
}
