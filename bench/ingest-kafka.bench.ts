import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startMockKafka } from '../test/support/kafka-mock/mock-kafka.js'
import { httpIngestRate, rawInsertRate } from './ingest.bench.js'
import { fmt, writeResult } from './support.js'

/**
 * Usage ingest through Kafka (DESIGN §4, "reported"): HTTP → Kafka (acks=-1) → sink → ClickHouse
 * until all records are queryable, against the raw engine insert of the same records in the same
 * run. The broker is librdkafka's in-memory mock (the only Kafka-protocol broker on these machines):
 * it keeps ~5 MB per partition, so the run spreads 200 providers (the partition key) over 12
 * partitions and bounds the record count; beyond that the mock drops unconsumed messages.
 */
const TOTAL = Number(process.env.BENCH_KAFKA_RECORDS ?? 60_000)

export async function kafkaIngestBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'eosc-am-bench-kafka-'))
  const mock = await startMockKafka({ brokers: 1 })
  try {
    const raw = await rawInsertRate(work, TOTAL)
    const kafka = await httpIngestRate(join(work, 'kafka'), TOTAL, {
      EOSC_AM_KAFKA_BROKERS: mock.brokers.join(','),
      EOSC_AM_KAFKA_PARTITIONS: '12',
      EOSC_AM_KAFKA_GROUP_ID: `bench-${Date.now()}`,
    }, 200)
    const ratio = kafka.rate / raw.rate
    console.log(`usage ingest via Kafka: ${fmt(kafka.rate)} rec/s vs raw engine ${fmt(raw.rate)} rec/s → ${ratio.toFixed(3)}×; server peak RSS ${(kafka.peakRss / 2 ** 20).toFixed(0)} MiB`)
    writeResult('ingest-kafka', {
      records: TOTAL,
      broker: 'librdkafka mock cluster (1 broker, 12 partitions), loopback',
      raw_records_per_s: Math.round(raw.rate),
      kafka_records_per_s: Math.round(kafka.rate),
      ratio: Number(ratio.toFixed(3)),
      server_peak_rss_mib: Math.round(kafka.peakRss / 2 ** 20),
    })
  } finally {
    await mock.stop()
    rmSync(work, { recursive: true, force: true })
  }
}
