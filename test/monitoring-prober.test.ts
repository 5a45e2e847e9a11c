import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_CHECK_OPTIONS, httpCheck, tlsCheck } from '../src/collectors/prober/checks.js'
import { startTestEngine, type TestEngine } from './support/test-engine.js'

/** The built-in prober against local servers only (127.0.0.1): HTTP, TLS certificate, TCP. */
const CERT = fileURLToPath(new URL('./support/tls/cert.pem', import.meta.url))
const KEY = fileURLToPath(new URL('./support/tls/key.pem', import.meta.url))

let t: TestEngine
let http: Server
let https: Server
let hang: Server
let httpPort: number
let httpsPort: number
let hangPort: number
let closedPort: number
let today: string

const listen = async (server: Server) => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

beforeAll(async () => {
  const handler = (req: { url?: string }, res: { writeHead(code: number): void; end(body: string): void }) => {
    const code = req.url === '/ok' ? 200 : req.url === '/broken' ? 503 : 404
    res.writeHead(code)
    res.end(String(code))
  }
  http = createHttpServer(handler)
  https = createHttpsServer({ cert: readFileSync(CERT), key: readFileSync(KEY) }, handler)
  hang = createHttpServer(() => {})
  ;[httpPort, httpsPort, hangPort] = await Promise.all([listen(http), listen(https), listen(hang)])
  const spare = createNetServer()
  spare.listen(0, '127.0.0.1')
  await once(spare, 'listening')
  closedPort = (spare.address() as AddressInfo).port
  await new Promise((r) => spare.close(r))

  t = await startTestEngine({
    env: {
      EOSC_AM_PROBER_ENABLED: 'true',
      EOSC_AM_PROBER_CRON: '* * * * * *',
      EOSC_AM_PROBER_CA_FILE: CERT,
      EOSC_AM_PROBER_NAME: 'test-prober',
      EOSC_AM_PROBER_TIMEOUT_MS: '2000',
    },
  })
  today = t.engine.monitoring.today()
  const endpoints = [
    { hostname: 'web-ok', service: 'http', url: `http://127.0.0.1:${httpPort}/ok` },
    { hostname: 'web-broken', service: 'http', url: `http://127.0.0.1:${httpPort}/broken` },
    { hostname: 'web-missing', service: 'http', url: `http://127.0.0.1:${httpPort}/missing` },
    { hostname: 'tls-ok', service: 'https', url: `https://127.0.0.1:${httpsPort}/ok` },
    { hostname: 'tcp-ok', service: 'tcp', url: `tcp://127.0.0.1:${httpPort}` },
    { hostname: 'tcp-closed', service: 'tcp', url: `tcp://127.0.0.1:${closedPort}` },
    { hostname: 'no-url', service: 'http' },
  ]
  const topo = await t.request({ method: 'PUT', url: '/v1/topology', body: { groups: [{ group: 'LOCAL', type: 'SITES', provider: 'p', endpoints }] } })
  expect(topo.status).toBe(200)
  const report = await t.request({
    method: 'PUT',
    url: '/v1/sla-reports/web',
    body: {
      metric_profile: { http: ['generic.http.connect'], https: ['generic.http.connect', 'generic.certificate.validity'], tcp: ['generic.tcp.connect'] },
      aggregation_profile: {
        metric_operation: 'AND',
        profile_operation: 'AND',
        groups: [{ name: 'web', operation: 'OR', services: [{ name: 'http', operation: 'OR' }, { name: 'https', operation: 'OR' }, { name: 'tcp', operation: 'OR' }] }],
      },
    },
  })
  expect(report.status).toBe(201)
})

afterAll(async () => {
  await t.close()
  await Promise.all([http, https, hang].map((s) => new Promise((r) => s.close(r))))
})

describe('built-in prober', () => {
  it('checks every endpoint with a URL and records the results as probe results', async () => {
    // A scheduled run that started before the topology was loaded may be joined: run until one covers it.
    let run = await t.engine.monitoring.prober!.runOnce()
    while (run.targets === 0) run = await t.engine.monitoring.prober!.runOnce()
    expect(run).toMatchObject({ targets: 6, results: 7, accepted: 7, rejected: 0 })
    const res = await t.request({ method: 'GET', url: `/v1/status/web?from=${today}&to=${today}&level=metric` })
    expect(res.status).toBe(200)
    const last = Object.fromEntries(res.body.rows.map((r: any) => [`${r.hostname} ${r.metric}`, r.statuses[r.statuses.length - 1].status]))
    expect(last).toEqual({
      'no-url generic.http.connect': 'MISSING',
      'tcp-closed generic.tcp.connect': 'CRITICAL',
      'tcp-ok generic.tcp.connect': 'OK',
      'tls-ok generic.certificate.validity': 'OK',
      'tls-ok generic.http.connect': 'OK',
      'web-broken generic.http.connect': 'CRITICAL',
      'web-missing generic.http.connect': 'WARNING',
      'web-ok generic.http.connect': 'OK',
    })
    const stored = await t.engine.store.query(
      `SELECT hostname, metric, monitoring_host, summary, actual_data FROM probe_results WHERE hostname IN ('tls-ok', 'web-broken') ORDER BY timestamp DESC LIMIT 3 BY hostname, metric`,
      {},
      z.object({ hostname: z.string(), metric: z.string(), monitoring_host: z.string(), summary: z.string(), actual_data: z.string() }),
    )
    const cert = stored.find((r) => r.hostname === 'tls-ok' && r.metric === 'generic.certificate.validity')
    expect(cert).toMatchObject({ monitoring_host: 'test-prober', summary: expect.stringMatching(/^certificate valid for \d+ more days$/), actual_data: expect.stringMatching(/^days=\d+;30;7$/) })
    expect(stored.find((r) => r.hostname === 'web-broken')?.summary).toMatch(/^HTTP 503 .* in \d+ ms$/)
  })

  it('runs on its node-cron schedule', async () => {
    const prober = t.engine.monitoring.prober!
    for (;;) {
      const [run] = await once(prober, 'run')
      if (run.targets > 0) {
        expect(run).toMatchObject({ targets: 6, accepted: 7 })
        break
      }
    }
  })
})

describe('checks', () => {
  const options = { ...DEFAULT_CHECK_OPTIONS, timeoutMs: 2000 }

  it('an untrusted certificate is CRITICAL but still reports its expiry', async () => {
    const r = await tlsCheck(new URL(`https://127.0.0.1:${httpsPort}/`), options)
    expect(r).toMatchObject({ metric: 'generic.certificate.validity', status: 'CRITICAL', summary: expect.stringMatching(/^certificate not trusted/) })
    expect(r.message).toMatch(/valid until 2126/)
  })

  it('a certificate closer to expiry than the warning threshold is WARNING', async () => {
    const r = await tlsCheck(new URL(`https://127.0.0.1:${httpsPort}/`), { ...options, ca: readFileSync(CERT), certWarnDays: 100_000 })
    expect(r.status).toBe('WARNING')
  })

  it('a server that does not answer is CRITICAL after the timeout', async () => {
    const r = await httpCheck(new URL(`http://127.0.0.1:${hangPort}/`), { ...options, timeoutMs: 200 })
    expect(r).toMatchObject({ status: 'CRITICAL', summary: 'no answer within 200 ms' })
  })

  it('a slow answer is WARNING', async () => {
    const r = await httpCheck(new URL(`http://127.0.0.1:${httpPort}/ok`), { ...options, latencyWarnMs: -1 })
    expect(r.status).toBe('WARNING')
    expect(r.actual_data).toMatch(/^time=\d+\.\d{3}s;-0\.001;;0 status=200$/)
  })
})
