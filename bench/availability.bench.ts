import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { connectStore } from '../src/platform/clickhouse/client.js'
import { api, fmt, progress, progressDone, sampleRss, startServer, writeResult } from './support.js'

/**
 * A/R report (DESIGN §4): a month of 5-minute probe results for N endpoints (default 500 →
 * 4.32M results), pushed over HTTP NDJSON (4 clients, 5,000 per request) in time order as a
 * probe box would; then the monthly report via the API, against a bare scan of the same rows in
 * the same engine, in the same run (target ≤ 3×).
 *
 * BENCH_AR_ENDPOINTS and BENCH_AR_DAYS scale it down for a quick run (e.g. 50 and 7).
 */
const ENDPOINTS = Number(process.env.BENCH_AR_ENDPOINTS ?? 500)
const DAYS = Math.min(30, Number(process.env.BENCH_AR_DAYS ?? 30))
const MONTH = '2026-09'
const PER_REQUEST = 5000
const CLIENTS = 4
const RUNS = 5
const STEP_S = 300
const START_S = Date.UTC(2026, 8, 1) / 1000
const PER_GROUP = 5

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const host = (e: number) => `ep${e}.site${Math.floor(e / PER_GROUP)}.example.org`
const service = (e: number) => (e % PER_GROUP < 3 ? 'compute' : 'storage')
const metric = (e: number) => (e % PER_GROUP < 3 ? 'bench.CE-JobSubmit' : 'bench.SE-Put')

/** Mostly OK, with deterministic bursts of trouble: ~1 % CRITICAL, ~0.5 % WARNING, ~0.3 % UNKNOWN. */
function status(e: number, slot: number): string {
  const h = Math.imul((e + 1) * 2654435761 + Math.floor(slot / 6) * 40503, 2246822519) >>> 0
  const r = h % 1000
  return r < 10 ? 'CRITICAL' : r < 15 ? 'WARNING' : r < 18 ? 'UNKNOWN' : 'OK'
}

function topology() {
  const groups = []
  for (let g = 0; g * PER_GROUP < ENDPOINTS; g++) {
    const endpoints = []
    for (let e = g * PER_GROUP; e < Math.min(ENDPOINTS, (g + 1) * PER_GROUP); e++) endpoints.push({ hostname: host(e), service: service(e) })
    groups.push({ group: `SITE-${g}`, type: 'SITES', provider: `prov-${g % 10}`, endpoints })
  }
  return { date: `${MONTH}-01`, groups }
}

const REPORT = {
  metric_profile: { compute: ['bench.CE-JobSubmit'], storage: ['bench.SE-Put'] },
  aggregation_profile: {
    metric_operation: 'AND',
    profile_operation: 'AND',
    groups: [
      { name: 'compute', operation: 'OR', services: [{ name: 'compute', operation: 'OR' }] },
      { name: 'storage', operation: 'OR', services: [{ name: 'storage', operation: 'OR' }] },
    ],
  },
}

/** Request `i`'s NDJSON body: results in time order, every endpoint at each 5-minute slot. */
function body(i: number, total: number): string {
  const lines: string[] = []
  for (let n = i * PER_REQUEST; n < Math.min(total, (i + 1) * PER_REQUEST); n++) {
    const slot = Math.floor(n / ENDPOINTS)
    const e = n % ENDPOINTS
    // Each endpoint is probed at its own offset within the 5 minutes.
    const ts = new Date((START_S + slot * STEP_S + (e % STEP_S)) * 1000).toISOString().slice(0, 19) + 'Z'
    lines.push(`{"timestamp":"${ts}","hostname":"${host(e)}","service":"${service(e)}","metric":"${metric(e)}","status":"${status(e, slot)}","monitoring_host":"mon1.example.org"}`)
  }
  return lines.join('\n')
}

/** (report, day) recomputes done by the server so far and their total time, from /metrics. */
async function recomputeStats(url: string): Promise<{ count: number; seconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const sum = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0)
  return { count: sum('eosc_am_availability_recompute_seconds_count'), seconds: sum('eosc_am_availability_recompute_seconds_sum') }
}

export async function availabilityBench(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'eosc-am-bench-ar-'))
  const dataDir = join(work, 'data')
  const total = ENDPOINTS * (DAYS * 86_400) / STEP_S
  const requests = Math.ceil(total / PER_REQUEST)
  try {
    const server = await startServer(dataDir, { EOSC_AM_PROBER_ENABLED: 'false' })
    let ingest: { seconds: number; peakRss: number }
    const recompute = { duringIngest: { count: 0, seconds: 0 }, total: { count: 0, seconds: 0 } }
    const report: { afterIngestMs: number; generateMs: number[]; apiMonthMs: number[]; groups: number } = { afterIngestMs: 0, generateMs: [], apiMonthMs: [], groups: 0 }
    try {
      const put = async (path: string, value: unknown) => {
        const res = await api(server.url, path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) })
        if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`)
      }
      await put('/v1/topology', topology())
      await put('/v1/sla-reports/bench', REPORT)

      console.log(`pushing ${fmt(total)} probe results (${ENDPOINTS} endpoints × ${DAYS} days × 288) in ${fmt(requests)} requests…`)
      const rss = sampleRss(server.child.pid!)
      let next = 0
      let done = 0
      const t0 = performance.now()
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          for (let i = next++; i < requests; i = next++) {
            const text = body(i, total)
            const res = await api(server.url, '/v1/probe-results', { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: text })
            const out = (await res.json()) as { accepted: number; rejected: unknown[] }
            const expected = Math.min(PER_REQUEST, total - i * PER_REQUEST)
            if (res.status !== 202 || out.accepted !== expected) throw new Error(`request ${i}: ${res.status} ${JSON.stringify(out).slice(0, 300)}`)
            done += expected
            if (i % 40 === 0) progress(`${fmt(done)} results`)
          }
        }),
      )
      progressDone()
      ingest = { seconds: (performance.now() - t0) / 1000, peakRss: rss.stop() }
      console.log(`HTTP ingest: ${fmt(total)} results in ${ingest.seconds.toFixed(1)} s → ${fmt(total / ingest.seconds)} results/s`)
      recompute.duringIngest = await recomputeStats(server.url)

      // First report right after ingest: includes bringing the days still dirty up to date.
      const generate = async () => {
        const t = performance.now()
        const res = await api(server.url, `/v1/reports/availability/bench/${MONTH}`, { method: 'POST' })
        const doc = (await res.json()) as { groups: { days: number; computed_days: number }[] }
        if (res.status !== 201) throw new Error(`report: ${res.status} ${JSON.stringify(doc).slice(0, 300)}`)
        report.groups = doc.groups.length
        if (doc.groups.some((g) => g.computed_days !== g.days)) throw new Error('report has uncomputed days')
        return performance.now() - t
      }
      report.afterIngestMs = await generate()
      recompute.total = await recomputeStats(server.url)
      console.log(`first monthly report after ingest (catching up the recompute queue): ${report.afterIngestMs.toFixed(0)} ms`)
      for (let r = 0; r < RUNS; r++) report.generateMs.push(await generate())
      for (let r = 0; r < RUNS; r++) {
        const t = performance.now()
        const res = await api(server.url, `/v1/availability/bench?from=${MONTH}-01&to=${MONTH}-30&granularity=month&level=group`)
        const out = (await res.json()) as { rows: unknown[] }
        if (res.status !== 200 || out.rows.length !== report.groups) throw new Error(`availability: ${res.status}`)
        report.apiMonthMs.push(performance.now() - t)
      }
    } finally {
      await server.stop()
    }

    // The bare scan, in the same engine build over the same data directory (the server has exited).
    const store = connectStore({ kind: 'embedded', path: join(dataDir, 'clickhouse') })
    const scanSql = `SELECT count() AS n FROM probe_results
      WHERE timestamp >= toDateTime64({from:String}, 3, 'UTC') AND timestamp < toDateTime64({to:String}, 3, 'UTC')
        AND NOT ignore(hostname, service, metric, status)`
    const scanMs: number[] = []
    let rows = 0
    try {
      for (let r = 0; r < RUNS + 1; r++) {
        const t = performance.now()
        const [row] = await store.query(scanSql, { from: `${MONTH}-01 00:00:00`, to: '2026-10-01 00:00:00' }, z.object({ n: z.coerce.number() }))
        if (r > 0) scanMs.push(performance.now() - t)
        rows = row?.n ?? 0
      }
    } finally {
      await store.close()
    }
    if (rows !== total) throw new Error(`bare scan counted ${rows} of ${total} results`)

    const reportMs = median(report.generateMs)
    const scan = median(scanMs)
    const ratio = reportMs / scan
    console.log(
      `A/R report: monthly report for ${report.groups} groups via the API ${reportMs.toFixed(0)} ms (first, after ingest: ${report.afterIngestMs.toFixed(0)} ms; ` +
        `GET /v1/availability month ${median(report.apiMonthMs).toFixed(0)} ms) vs bare scan of ${fmt(rows)} results ${scan.toFixed(0)} ms → ${ratio.toFixed(2)}× (target ≤ 3×); ` +
        `ingest ${fmt(total / ingest.seconds)} results/s, server peak RSS ${(ingest.peakRss / 2 ** 20).toFixed(0)} MiB; ` +
        `day recomputes: ${recompute.duringIngest.count} during ingest (${recompute.duringIngest.seconds.toFixed(1)} s), ${recompute.total.count} in all (${recompute.total.seconds.toFixed(1)} s)`,
    )
    writeResult('availability', {
      endpoints: ENDPOINTS,
      days: DAYS,
      results: total,
      groups: report.groups,
      clients: CLIENTS,
      per_request: PER_REQUEST,
      ingest_seconds: Number(ingest.seconds.toFixed(2)),
      ingest_results_per_s: Math.round(total / ingest.seconds),
      server_peak_rss_mib: Math.round(ingest.peakRss / 2 ** 20),
      day_recomputes_during_ingest: recompute.duringIngest.count,
      day_recompute_seconds_during_ingest: Number(recompute.duringIngest.seconds.toFixed(2)),
      day_recomputes_total: recompute.total.count,
      day_recompute_seconds_total: Number(recompute.total.seconds.toFixed(2)),
      first_report_after_ingest_ms: Math.round(report.afterIngestMs),
      report_ms: Math.round(reportMs),
      availability_month_api_ms: Math.round(median(report.apiMonthMs)),
      bare_scan_ms: Math.round(scan),
      bare_scan_sql: scanSql.replace(/\s+/g, ' '),
      ratio: Number(ratio.toFixed(3)),
      target_ratio: 3,
      runs: RUNS,
    })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
