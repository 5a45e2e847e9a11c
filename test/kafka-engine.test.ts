import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/platform/config.js'
import { createKafkaClient } from '../src/platform/kafka/kafka-client.js'
import { topicFor } from '../src/platform/kafka/topics.js'
import { startMockKafka, type MockKafka } from './support/kafka-mock/mock-kafka.js'
import { readTopic } from './support/kafka-mock/read-topic.js'
import { ndjson, startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

const RAW_USER = (i: number) => `kafka-subject-${i}@egi.eu`
const RECORDS = 10_000

let mock: MockKafka
let t: TestEngine
let env: Record<string, string>

beforeAll(async () => {
  mock = await startMockKafka({ brokers: 1 })
  const id = Math.random().toString(36).slice(2, 8)
  env = {
    EOSC_AM_KAFKA_BROKERS: mock.brokers.join(','),
    EOSC_AM_KAFKA_PARTITIONS: '3',
    EOSC_AM_KAFKA_TOPIC_PREFIX: `t${id}.`,
    EOSC_AM_KAFKA_GROUP_ID: `g${id}`,
  }
  t = await startTestEngine({ env })
  await t.metric('cpu_hours')
}, 60_000)

afterAll(async () => {
  await t?.close()
  await mock?.stop()
}, 60_000)

/** Polls the report until the sink has stored `records` (bounded: the test fails after 40 s). */
async function untilStored(records: number): Promise<{ value: number; records: number; users: number }> {
  const deadline = Date.now() + 40_000
  for (;;) {
    const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&granularity=total' })
    const row = res.body.rows[0] ?? { value: 0, records: 0, users: 0 }
    if (row.records >= records || Date.now() > deadline) return { value: row.value, records: row.records, users: row.users }
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Waits until the sink's group has committed every message on the usage topic (bounded: 40 s). */
async function untilCommitted(): Promise<void> {
  const config = loadConfig(env)
  const admin = createKafkaClient(config.kafka!, pino({ level: 'silent' })).admin()
  await admin.connect()
  try {
    const topic = topicFor(config.kafka!, 'usage')
    const deadline = Date.now() + 40_000
    for (;;) {
      const high = await admin.fetchTopicOffsets(topic)
      const [committed] = await admin.fetchOffsets({ groupId: config.kafka!.groupId, topics: [topic] })
      const done = high.every((h) => committed?.partitions.find((p) => p.partition === h.partition)?.offset === h.high)
      if (done) return
      if (Date.now() > deadline) throw new Error('sink did not commit every message in 40 s')
      await new Promise((r) => setTimeout(r, 250))
    }
  } finally {
    await admin.disconnect()
  }
}

const batch = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => usageRecord({ provider: `prov-${(from + i) % 4}`, record_id: `k-${from + i}`, value: 0.5, user: RAW_USER((from + i) % 50) }))

describe('Kafka mode (EOSC_AM_KAFKA_BROKERS set)', () => {
  it('acknowledges after the broker and stores 10,000 records exactly once, also when re-sent', async () => {
    const send = () =>
      Promise.all([0, 1, 2, 3].map((c) => t.request({ method: 'POST', url: '/v1/usage-records', body: ndjson(batch(c * 2500, 2500)), contentType: 'application/x-ndjson' })))
    const first = await send()
    expect(first.map((r) => [r.status, r.body.accepted])).toEqual(Array(4).fill([202, 2500]))
    expect(await untilStored(RECORDS)).toEqual({ value: RECORDS / 2, records: RECORDS, users: 50 })
    // A client retrying everything: Kafka carries the rows twice, the store keeps them once.
    await send()
    await untilCommitted()
    const again = await untilStored(RECORDS)
    expect(again).toEqual({ value: RECORDS / 2, records: RECORDS, users: 50 })
  })

  it('reports the broker and the sink in /readyz', async () => {
    const res = await t.request({ method: 'GET', url: '/readyz', token: null })
    expect(res.status).toBe(200)
    expect(res.body.checks).toMatchObject({ clickhouse: 'ok' })
    expect(JSON.stringify(res.body.checks)).toMatch(/consuming|ok/)
  })

  it('puts no raw user identifier on the topic', async () => {
    const config = loadConfig(env)
    const kafka = createKafkaClient(config.kafka!, pino({ level: 'silent' }))
    const admin = kafka.admin()
    await admin.connect()
    const topic = topicFor(config.kafka!, 'usage')
    const offsets = await admin.fetchTopicOffsets(topic)
    await admin.disconnect()
    const total = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0)
    expect(total).toBe(2 * RECORDS)
    const messages = await readTopic(kafka, topic, total)
    const seen = messages.length
    const bytes = messages.map((m) => m.value!.toString('utf8'))
    const leaked = bytes.filter((b) => b.includes('kafka-subject-')).length
    const pseudonyms = bytes.filter((b) => /"user_id":"u_[A-Za-z0-9_-]{43}"/.test(b)).length
    expect({ seen, leaked, pseudonyms }).toEqual({ seen: total, leaked: 0, pseudonyms: total })
  }, 60_000)
})
