import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ndjson, usageRecord } from './support/test-engine.js'

const ADMIN = 'crash-admin-token-0123456789'
const ROOT = join(import.meta.dirname, '..')
const children: ChildProcess[] = []

/** Ended, by exit or by signal (a killed child has `exitCode` null and `signalCode` set). */
const ended = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null

afterEach(() => {
  for (const c of children.splice(0)) if (!ended(c)) c.kill('SIGKILL')
})

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** `eosc-am serve` as a real process on loopback, ready when /readyz answers (bounded: 60 s). */
async function serve(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, EOSC_AM_DATA_DIR: dataDir, EOSC_AM_PORT: String(port), EOSC_AM_HOST: '127.0.0.1', EOSC_AM_ADMIN_TOKEN: ADMIN, EOSC_AM_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  })
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (ended(child)) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}`)
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false)
    if (ok) return { url, child }
    if (Date.now() > deadline) throw new Error('server not ready in 60 s')
    await new Promise((r) => setTimeout(r, 200))
  }
}

const call = (url: string, path: string, init: RequestInit = {}) =>
  fetch(url + path, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-ndjson', ...init.headers } })

describe('a 202 is a promise (DESIGN §5)', () => {
  it('keeps every acknowledged record, once, after kill -9 and restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eosc-am-crash-'))
    const first = await serve(dataDir)
    await call(first.url, '/v1/metric-definitions/cpu_hours', { method: 'PUT', body: JSON.stringify({ unit: 'h', aggregation: 'sum' }), headers: { 'content-type': 'application/json' } })
    // Clients keep pushing; the server is killed while requests are in flight.
    let acknowledged = 0
    let sent = 0
    let stop = false
    const clients = [0, 1, 2, 3].map(async (c) => {
      for (let i = 0; !stop && i < 200; i++) {
        const body = ndjson(Array.from({ length: 500 }, (_, j) => usageRecord({ record_id: `c${c}-r${i}-${j}`, value: 1 })))
        sent += 500
        const res = await call(first.url, '/v1/usage-records', { method: 'POST', body }).catch(() => null)
        if (res?.status === 202) acknowledged += 500
        else break
        if (acknowledged >= 20_000) stop = true
      }
    })
    let clientsDone = false
    const allClients = Promise.all(clients).then(() => (clientsDone = true))
    while (acknowledged < 20_000 && !clientsDone && !ended(first.child)) await new Promise((r) => setTimeout(r, 20))
    first.child.kill('SIGKILL')
    await allClients
    await new Promise((r) => (ended(first.child) ? r(null) : first.child.once('exit', r)))

    const second = await serve(dataDir)
    const res = await call(second.url, '/v1/usage?from=2026-01&to=2026-12&granularity=total')
    const body = (await res.json()) as { rows: { records: number; value: number }[] }
    const stored = body.rows[0]?.records ?? 0
    // Every acknowledged record is there; records whose request died unanswered may be too, but
    // none more than once (each record id was sent once, value 1 each).
    expect(acknowledged).toBeGreaterThanOrEqual(20_000)
    expect(stored).toBeGreaterThanOrEqual(acknowledged)
    expect(stored).toBeLessThanOrEqual(sent)
    expect(body.rows[0]?.value).toBe(stored)
    second.child.kill('SIGTERM')
  }, 120_000)
})
