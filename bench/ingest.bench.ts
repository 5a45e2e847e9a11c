import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { connectStore } from '../src/platform/clickhouse/client.js'
import { migrate } from '../src/platform/clickhouse/migrate.js'
import { api, fmt, progress, progressDone, sampleRss, startServer, writeResult } from './support.js'
import { asIngestRow, usageRecords } from './usage-data.js'

/**
 * Usage ingest, embedded (DESIGN §4): N records over HTTP NDJSON (4 clients, 5,000 per request)
 * until all are queryable, against the engine's own `INSERT … SELECT FROM file()` of the same
 * records into the same tables, in the same run.
 */
const TOTAL = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const PER_REQUEST = 5000
const CLIENTS = 4

export async function ingestBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'eosc-am-bench-'))
  try {
    const raw = await rawInsertRate(work)
    const http = await httpIngestRate(join(work, 'http'), TOTAL)
    const ratio = http.rate / raw.rate
    console.log(`usage ingest, embedded: HTTP ${fmt(http.rate)} rec/s vs raw engine ${fmt(raw.rate)} rec/s → ${ratio.toFixed(3)}× (target ≥ 0.35×, aim 0.5×); server peak RSS ${(http.peakRss / 2 ** 20).toFixed(0)} MiB (limit 1536)`)
    writeResult('ingest-embedded', {
      records: TOTAL,
      clients: CLIENTS,
      per_request: PER_REQUEST,
      raw_records_per_s: Math.round(raw.rate),
      http_records_per_s: Math.round(http.rate),
      ratio: Number(ratio.toFixed(3)),
      target_ratio: 0.35,
      server_peak_rss_mib: Math.round(http.peakRss / 2 ** 20),
      rss_limit_mib: 1536,
    })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

export async function rawInsertRate(work: string, total = TOTAL): Promise<{ rate: number }> {
  const file = join(work, 'records.ndjson')
  const out = createWriteStream(file)
  const key = randomBytes(32)
  for (const r of usageRecords({ count: total })) {
    if (!out.write(JSON.stringify(asIngestRow(r, key, 1)) + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  const store = connectStore({ kind: 'embedded', path: join(work, 'raw') })
  await migrate(store)
  const t0 = performance.now()
  await store.command(`INSERT INTO usage_ingest SELECT * FROM file({file:String}, 'JSONEachRow')`, { file })
  const seconds = (performance.now() - t0) / 1000
  const [row] = await store.query('SELECT count() AS n FROM usage_records', {}, z.object({ n: z.coerce.number() }))
  await store.close()
  if (row?.n !== total) throw new Error(`raw insert stored ${row?.n} of ${total}`)
  console.log(`raw engine insert: ${fmt(total)} records in ${seconds.toFixed(2)} s`)
  return { rate: total / seconds }
}

/** Pushes `total` records over HTTP (CLIENTS × PER_REQUEST) and waits until all are queryable. */
export async function httpIngestRate(dataDir: string, total: number, env: Record<string, string> = {}, providers = 20): Promise<{ rate: number; peakRss: number }> {
  const server = await startServer(dataDir, env)
  try {
    await api(server.url, '/v1/metric-definitions/cpu_hours', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ unit: 'h', aggregation: 'sum' }),
    })
    const bodies: string[] = []
    const gen = usageRecords({ count: total, providers })
    for (let i = 0; i < total / PER_REQUEST; i++) {
      const lines: string[] = []
      for (let j = 0; j < PER_REQUEST; j++) lines.push(JSON.stringify(gen.next().value))
      bodies.push(lines.join('\n'))
    }
    const rss = sampleRss(server.child.pid!)
    let next = 0
    let done = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const res = await api(server.url, '/v1/usage-records', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bodies[i] })
          const body = (await res.json()) as { accepted: number }
          if (res.status !== 202 || body.accepted !== PER_REQUEST) throw new Error(`request ${i}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`)
          done += PER_REQUEST
          if (done % 100_000 === 0) progress(`${fmt(done)} records`)
        }
      }),
    )
    progressDone()
    const acked = (performance.now() - t0) / 1000
    // 202 means durable (direct: in ClickHouse; Kafka: on the broker): wait until all are queryable.
    let queryable = 0
    const deadline = Date.now() + 180_000
    while (queryable < total && Date.now() < deadline) {
      const res = await api(server.url, '/v1/usage?from=2026-01&to=2026-12&granularity=total')
      const report = (await res.json()) as { rows: { records: number }[] }
      queryable = report.rows.reduce((s, r) => s + r.records, 0)
      if (queryable < total) await new Promise((r) => setTimeout(r, 100))
    }
    const seconds = (performance.now() - t0) / 1000
    const peakRss = rss.stop()
    if (queryable !== total) throw new Error(`only ${queryable} of ${total} records queryable`)
    console.log(`HTTP ingest: ${fmt(total)} records in ${seconds.toFixed(2)} s (all acknowledged after ${acked.toFixed(2)} s, all queryable)`)
    return { rate: total / seconds, peakRss }
  } finally {
    await server.stop()
  }
}
