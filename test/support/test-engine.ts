import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import type { Role } from '../../src/auth/roles.js'
import { createEngine, type Engine, type EngineOptions } from '../../src/main.js'
import { loadConfig } from '../../src/platform/config.js'

export const ADMIN = 'test-admin-token-0123456789'

export interface TestEngine {
  engine: Engine
  dataDir: string
  /** Everything the engine logged, for privacy assertions. */
  logs: string[]
  request(opts: { method: string; url: string; token?: string | null; body?: unknown; contentType?: string }): Promise<{ status: number; body: any; text: string; headers: Record<string, unknown> }>
  token(role: Role, providers?: string[]): Promise<string>
  metric(id: string, aggregation?: 'sum' | 'max' | 'avg' | 'last', unit?: string): Promise<void>
  close(): Promise<void>
}

/**
 * A real engine on embedded ClickHouse (chDB) in a fresh temp folder, migrations applied.
 * chDB allows one data path per process: one engine per test file (vitest runs files in forks).
 */
export async function startTestEngine(opts: { dataDir?: string; env?: Record<string, string>; options?: EngineOptions } = {}): Promise<TestEngine> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'eosc-am-test-'))
  const config = loadConfig({ EOSC_AM_DATA_DIR: dataDir, EOSC_AM_ADMIN_TOKEN: ADMIN, EOSC_AM_LOG_LEVEL: 'info', ...opts.env })
  const logs: string[] = []
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) }))
  const engine = await createEngine(config, logger, opts.options)
  const t: TestEngine = {
    engine,
    dataDir,
    logs,
    async request({ method, url, token = ADMIN, body, contentType }) {
      const headers: Record<string, string> = {}
      if (token) headers.authorization = `Bearer ${token}`
      let payload: string | Buffer | undefined
      if (body !== undefined) {
        payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
        headers['content-type'] = contentType ?? 'application/json'
      }
      const res = await engine.app.inject({ method: method as 'GET', url, headers, payload })
      let parsed: unknown
      try {
        parsed = JSON.parse(res.body)
      } catch {
        parsed = undefined
      }
      return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers }
    },
    async token(role, providers = []) {
      const res = await t.request({ method: 'POST', url: '/v1/admin/tokens', body: { name: `${role}-${providers.join('+')}`, role, providers } })
      if (res.status !== 201) throw new Error(`token create failed: ${res.text}`)
      return res.body.token
    },
    async metric(id, aggregation = 'sum', unit = 'h') {
      const res = await t.request({ method: 'PUT', url: `/v1/metric-definitions/${id}`, body: { unit, aggregation } })
      if (res.status >= 300) throw new Error(`metric definition failed: ${res.text}`)
    },
    close: () => engine.close(),
  }
  return t
}

/** A valid usage record; override any field. */
export function usageRecord(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    record_id: 'r-1',
    provider: 'egi',
    resource: '21.11170/cI5H3q',
    metric: 'cpu_hours',
    value: 1,
    start: '2026-01-10T00:00:00Z',
    end: '2026-01-10T10:00:00Z',
    user: 'alice@egi.eu',
    ...over,
  }
}

export const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n')
