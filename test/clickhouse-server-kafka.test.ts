import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startClickHouseFront, type ClickHouseFront } from './support/clickhouse-http/clickhouse-front.js'
import { startMockKafka, type MockKafka } from './support/kafka-mock/mock-kafka.js'
import { ndjson, startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

/**
 * The scaled-out deployment (DESIGN §2, README "Scaling out"): API instances started with
 * `serve --no-sink` publish to Kafka; a separate `eosc-am sink` consumes into the ClickHouse
 * server. Here both are engines of this process on a Kafka-protocol broker and the ClickHouse
 * front, each with its own data folder, sharing only Kafka, the server and the pseudonym key.
 */
let mock: MockKafka
let front: ClickHouseFront
let api: TestEngine
let sink: TestEngine | undefined
let env: Record<string, string>

beforeAll(async () => {
  mock = await startMockKafka({ brokers: 1 })
  front = await startClickHouseFront({ path: join(mkdtempSync(join(tmpdir(), 'eosc-am-chserver-')), 'clickhouse') })
  const id = Math.random().toString(36).slice(2, 8)
  env = {
    EOSC_AM_CLICKHOUSE_URL: front.url,
    EOSC_AM_PSEUDONYM_KEY: 'cd'.repeat(32),
    EOSC_AM_KAFKA_BROKERS: mock.brokers.join(','),
    EOSC_AM_KAFKA_PARTITIONS: '3',
    EOSC_AM_KAFKA_TOPIC_PREFIX: `t${id}.`,
    EOSC_AM_KAFKA_GROUP_ID: `g${id}`,
  }
  api = await startTestEngine({ env, options: { runSink: false } })
  await api.metric('cpu_hours')
}, 60_000)

afterAll(async () => {
  await api?.close()
  await sink?.close()
  await front?.stop()
  await mock?.stop()
}, 60_000)

const stored = async () => {
  const res = await api.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12&granularity=total' })
  const row = res.body.rows[0] ?? { value: 0, records: 0, users: 0 }
  return { value: row.value, records: row.records, users: row.users }
}

/** Polls until `records` are stored (bounded: fails after 40 s). */
async function untilStored(records: number) {
  const deadline = Date.now() + 40_000
  for (;;) {
    const now = await stored()
    if (now.records >= records || Date.now() > deadline) return now
    await new Promise((r) => setTimeout(r, 250))
  }
}

const batch = (from: number, n: number, value: number) =>
  Array.from({ length: n }, (_, i) => usageRecord({ record_id: `ks-${from + i}`, provider: `prov-${(from + i) % 3}`, user: `kafka-server-${(from + i) % 12}@egi.eu`, value }))

describe('API instances without a sink, and a separate sink, on Kafka and a ClickHouse server', () => {
  it('acknowledges on Kafka alone, and the sink started later stores everything once, re-sends included', async () => {
    const send = (value: number) =>
      Promise.all([0, 1, 2].map((c) => api.request({ method: 'POST', url: '/v1/usage-records', body: ndjson(batch(c * 1_000, 1_000, value)), contentType: 'application/x-ndjson' })))
    expect((await send(1)).map((r) => [r.status, r.body.accepted])).toEqual(Array(3).fill([202, 1_000]))
    // Durable on the broker; nothing consumes yet.
    await new Promise((r) => setTimeout(r, 1_000))
    expect(await stored()).toEqual({ value: 0, records: 0, users: 0 })

    sink = await startTestEngine({ env, options: { runSink: true } })
    expect(await untilStored(3_000)).toEqual({ value: 3_000, records: 3_000, users: 12 })
    // A client retrying with corrected values: replaced in the server, never added.
    await send(2)
    const deadline = Date.now() + 40_000
    while ((await stored()).value < 6_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    expect(await stored()).toEqual({ value: 6_000, records: 3_000, users: 12 })
    expect(front.served.inserts).toBeGreaterThan(0)
  }, 120_000)
})
