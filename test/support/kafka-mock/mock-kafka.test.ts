import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockKafka, type MockKafka } from './mock-kafka.js'

describe('mock Kafka (librdkafka mock cluster + front)', () => {
  let mock: MockKafka
  let kafka: Kafka

  beforeAll(async () => {
    mock = await startMockKafka({ brokers: 3 })
    kafka = new Kafka({ clientId: 'mock-test', brokers: mock.brokers, logLevel: logLevel.NOTHING })
  })
  afterAll(async () => {
    await mock?.stop()
  })

  it('creates topics through kafkajs admin and reports an existing one', async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const topic = `orders-${randomUUID()}`
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(true)
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false)
      const meta = await admin.fetchTopicMetadata({ topics: [topic] })
      expect(meta.topics[0]?.partitions).toHaveLength(3)
      await expect(
        admin.createTopics({ topics: [{ topic: `rf-${randomUUID()}`, numPartitions: 1, replicationFactor: 4 }] }),
      ).rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })] })
    } finally {
      await admin.disconnect()
    }
  })

  it('delivers acks=-1 messages to a consumer group exactly once', async () => {
    const topic = `events-${randomUUID()}`
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })
    await admin.disconnect()

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const total = 300
    const sent = Array.from({ length: total }, (_, i) => ({ key: `k${i % 17}`, value: `m${i}` }))
    const acks = await producer.send({ topic, acks: -1, messages: sent })
    await producer.disconnect()
    expect(new Set(acks.map((a) => a.partition)).size).toBe(3)

    const seen: string[] = []
    const groupId = `g-${randomUUID()}`
    const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }: EachMessagePayload) => {
          seen.push(String(message.value))
          if (seen.length === total) resolve()
        },
      })
    })
    await all
    await consumer.disconnect()

    expect(seen).toHaveLength(total)
    expect(new Set(seen)).toEqual(new Set(sent.map((m) => m.value)))
    // Offsets are counted per partition from 0, so the committed sum equals the messages sent.
    expect(await committedTotal(kafka, groupId, topic)).toBe(total)
  })

  it('drops connections while a broker is down and accepts them again when it is up', async () => {
    const single = await startMockKafka({ brokers: 1 })
    try {
      const k = new Kafka({
        clientId: 'outage',
        brokers: single.brokers,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 500,
      })
      const admin = k.admin()
      await single.brokerDown(1)
      await expect(admin.connect()).rejects.toThrow()
      await single.brokerUp(1)
      await admin.connect()
      expect(await admin.listTopics()).toBeInstanceOf(Array)
      await admin.disconnect()
    } finally {
      await single.stop()
    }
  })
})

/** Sum of the group's committed offsets over the topic's partitions, read back through admin. */
async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Number(p.offset), 0)
  } finally {
    await admin.disconnect()
  }
}
