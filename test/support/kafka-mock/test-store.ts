import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import type { KindWriter } from '../../../src/pipeline/bus.js'

/**
 * A real ClickHouse (chDB, fresh temp path) for the Kafka sink tests: a table keyed like the
 * usage table, ReplacingMergeTree on (provider, record_id) with insert deduplication enabled,
 * and a KindWriter inserting into it with the sink's dedup token. One engine per process (vitest
 * forks), so call this once per test file and make one table per test.
 */
export function createTestStore(): { client: ClickHouseClient; close(): Promise<void> } {
  const path = mkdtempSync(join(tmpdir(), 'eosc-am-kafka-'))
  // chdb bundles its own copy of @clickhouse/client-common's types; the runtime contract is the same.
  const connection = createChdbConnection({ path }) as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>
  const client = createClient({ connection })
  return { client, close: () => client.close() }
}

export interface TestRow extends Record<string, unknown> {
  provider: string
  record_id: string
  value: number
}

export async function createTestTable(client: ClickHouseClient, table: string): Promise<void> {
  await client.command({
    query: `CREATE TABLE ${table} (provider String, record_id String, value Float64)
            ENGINE = ReplacingMergeTree ORDER BY (provider, record_id)
            SETTINGS non_replicated_deduplication_window = 10000`,
  })
}

/**
 * The writer under the sink. `strict: false` lets a row whose value is a string through decode,
 * so that ClickHouse itself refuses it (a store-side rejection).
 */
export function testWriter(client: ClickHouseClient, table: string, opts: { strict?: boolean } = {}): KindWriter {
  const strict = opts.strict ?? true
  return {
    decode(value) {
      const v = value as Partial<TestRow> | null
      if (typeof v !== 'object' || v === null) return { ok: false, reason: 'not an object' }
      if (typeof v.provider !== 'string' || typeof v.record_id !== 'string') return { ok: false, reason: 'provider and record_id are required' }
      const valueOk = typeof v.value === 'number' || (!strict && typeof v.value === 'string')
      if (!valueOk) return { ok: false, reason: 'value must be a number' }
      return { ok: true, row: { provider: v.provider, record_id: v.record_id, value: v.value } }
    },
    key: (row) => String(row.provider),
    async write(rows, { dedupToken }) {
      await client.insert({
        table,
        values: rows as Record<string, unknown>[],
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplication_token: dedupToken },
      })
    },
  }
}

/** Counts of the table: every inserted row, rows after replacement, distinct keys, and the value sum. */
export async function tableCounts(client: ClickHouseClient, table: string) {
  const rs = await client.query({
    query: `SELECT (SELECT count() FROM ${table}) AS raw, (SELECT count() FROM ${table} FINAL) AS final,
                   (SELECT uniqExact(provider, record_id) FROM ${table}) AS keys, (SELECT sum(value) FROM ${table} FINAL) AS total`,
    format: 'JSONEachRow',
  })
  const [row] = await rs.json<{ raw: string; final: string; keys: string; total: number }>()
  return { raw: Number(row?.raw), final: Number(row?.final), keys: Number(row?.keys), total: Number(row?.total) }
}

export function testRows(n: number, opts: { providers?: number; prefix?: string } = {}): TestRow[] {
  const providers = opts.providers ?? 7
  return Array.from({ length: n }, (_, i) => ({
    provider: `prov-${i % providers}`,
    record_id: `${opts.prefix ?? 'r'}-${i}`,
    value: i,
  }))
}

/**
 * Counts rows a writer stored and lets a test wait for a number of them: an event to wait on
 * instead of sleeping. `reached` rejects after `timeoutMs` with the count so far.
 */
export class Progress {
  private count = 0
  private waiters: { n: number; resolve: () => void }[] = []

  get value(): number {
    return this.count
  }

  add(n: number): void {
    this.count += n
    this.waiters = this.waiters.filter((w) => (this.count >= w.n ? (w.resolve(), false) : true))
  }

  reached(n: number, timeoutMs = 30_000): Promise<void> {
    if (this.count >= n) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms for ${n} rows, have ${this.count}`)), timeoutMs)
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) })
    })
  }
}

/** Wraps a writer so every successful write is counted. */
export function counted(writer: KindWriter, progress: Progress): KindWriter {
  return {
    ...writer,
    async write(rows, opts) {
      await writer.write(rows, opts)
      progress.add(rows.length)
    },
  }
}
