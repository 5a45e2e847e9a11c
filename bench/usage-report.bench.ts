import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { connectStore } from '../src/platform/clickhouse/client.js'
import { migrate } from '../src/platform/clickhouse/migrate.js'
import { api, fmt, startServer, writeResult } from './support.js'

/**
 * Usage report (DESIGN §4): the monthly report grouped by provider × resource × metric with
 * distinct users over N records, via the API, against the bare SQL group-by over the raw table
 * in the same engine and run. Records are generated inside the engine (the ingest path has its
 * own benchmark) and go through the same usage_ingest table, so the pre-aggregates are filled
 * exactly as at ingest.
 */
const TOTAL = Number(process.env.BENCH_REPORT_RECORDS ?? 10_000_000)
const RUNS = 3

export async function usageReportBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'eosc-am-bench-report-'))
  try {
    const dataDir = join(work, 'data')
    const bare = await loadAndTimeBareQuery(dataDir)
    const viaApi = await timeApi(dataDir)
    const ratio = viaApi / bare
    console.log(`usage report over ${fmt(TOTAL)} records: API ${viaApi.toFixed(0)} ms vs bare SQL group-by ${bare.toFixed(0)} ms → ${ratio.toFixed(2)}× (target ≤ 1.5×, aim < 1)`)
    writeResult('usage-report', { records: TOTAL, api_ms: Math.round(viaApi), bare_sql_ms: Math.round(bare), ratio: Number(ratio.toFixed(3)), target_ratio: 1.5, runs: RUNS })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

async function loadAndTimeBareQuery(dataDir: string): Promise<number> {
  const store = connectStore({ kind: 'embedded', path: join(dataDir, 'clickhouse') })
  try {
    await migrate(store)
    const t0 = performance.now()
    // 20 providers × 10 resources × 2 metrics, 20,000 users, spread over 2026.
    await store.command(
      `INSERT INTO usage_ingest (provider, record_id, resource, metric, value, start, end, at, user_id, user_group, order_ref, installation, version, sign)
       SELECT 'prov-' || toString(number % 20), 'job-' || toString(number), '21.11170/res-' || toString(number % 20) || '-' || toString(intDiv(number, 20) % 10),
              if(number % 3 = 0, 'gpu_hours', 'cpu_hours'), (number % 97) / 4,
              t - 3600000, t, t - 1, 'u_' || toString(cityHash64(number % 20000)), 'vo-' || toString(number % 7), '', '', 1, 1
       FROM (SELECT number, toDateTime64(1767225600 + 3600 + (number * 7919) % (365 * 86400 - 7200), 3, 'UTC') AS t FROM numbers({n:UInt64}))`,
      { n: TOTAL },
    )
    console.log(`loaded ${fmt(TOTAL)} records in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      const rows = await store.query(
        `SELECT formatDateTime(at, '%Y-%m') AS period, provider, resource, metric, sum(value) AS value, count() AS records, uniqExact(user_id) AS users
         FROM usage_records
         WHERE at >= '2026-01-01 00:00:00' AND at < '2027-01-01 00:00:00'
         GROUP BY period, provider, resource, metric ORDER BY period, provider, resource, metric`,
        {},
        z.object({ period: z.string() }).passthrough(),
      )
      times.push(performance.now() - t)
      if (rows.length !== 12 * 200 * 2) throw new Error(`bare query returned ${rows.length} rows`)
    }
    return median(times)
  } finally {
    await store.close()
  }
}

async function timeApi(dataDir: string): Promise<number> {
  const server = await startServer(dataDir)
  try {
    for (const id of ['cpu_hours', 'gpu_hours']) {
      await api(server.url, `/v1/metric-definitions/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ unit: 'h', aggregation: 'sum' }) })
    }
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      const res = await api(server.url, '/v1/usage?from=2026-01&to=2026-12&granularity=month&group_by=provider,resource')
      const body = (await res.json()) as { rows: { records: number }[] }
      times.push(performance.now() - t)
      const records = body.rows.reduce((s, r) => s + r.records, 0)
      if (res.status !== 200 || records !== TOTAL || body.rows.length !== 12 * 200 * 2) throw new Error(`API report: ${res.status}, ${body.rows.length} rows, ${records} records`)
    }
    return median(times)
  } finally {
    await server.stop()
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
