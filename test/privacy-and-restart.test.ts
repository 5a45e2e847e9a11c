import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

const RAW_USER = 'raw-subject-7f3a9c@egi.eu'
const MARKER = 'group-marker-5d1e0b'

let t: TestEngine

beforeAll(async () => {
  t = await startTestEngine()
  await t.metric('cpu_hours')
  const res = await t.request({
    method: 'POST',
    url: '/v1/usage-records',
    body: Array.from({ length: 3 }, (_, i) => usageRecord({ record_id: `p-${i}`, user: RAW_USER, group: MARKER })),
  })
  expect(res.body.accepted).toBe(3)
})
afterAll(() => t.close())

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? filesUnder(p) : [p]
  })
}

describe('pseudonymisation', () => {
  it('keeps the raw user id out of every file in the data folder', async () => {
    await t.engine.settleUsage()
    const files = filesUnder(t.dataDir)
    const holding = (needle: string) => files.filter((f) => readFileSync(f).includes(Buffer.from(needle)))
    // The scan finds stored strings (the group is kept as sent) ...
    expect(holding(MARKER).length).toBeGreaterThan(0)
    // ... and the raw subject is nowhere.
    expect(holding(RAW_USER)).toEqual([])
  })

  it('keeps the raw user id out of logs and metrics', async () => {
    const metrics = await t.request({ method: 'GET', url: '/metrics', token: null })
    expect(metrics.text).not.toContain(RAW_USER)
    expect(t.logs.join('')).not.toContain(RAW_USER)
  })

  it('counts the user once: one pseudonym for the same subject', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12' })
    expect(res.body.rows).toMatchObject([{ records: 3, users: 1 }])
  })
})

describe('restart', () => {
  it('keeps every acknowledged record and the pseudonym key across a restart', async () => {
    await t.close()
    t = await startTestEngine({ dataDir: t.dataDir })
    const before = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12' })
    expect(before.body.rows).toMatchObject([{ value: 3, records: 3, users: 1 }])
    // Same subject after the restart: same pseudonym, so still one distinct user.
    await t.request({ method: 'POST', url: '/v1/usage-records', body: usageRecord({ record_id: 'p-after', user: RAW_USER }) })
    const after = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12' })
    expect(after.body.rows).toMatchObject([{ value: 4, records: 4, users: 1 }])
    // A record stored before the restart, re-sent with a new value: replaced, not added.
    await t.request({ method: 'POST', url: '/v1/usage-records', body: usageRecord({ record_id: 'p-0', user: RAW_USER, group: MARKER, value: 6 }) })
    const replaced = await t.request({ method: 'GET', url: '/v1/usage?from=2026-01&to=2026-12' })
    expect(replaced.body.rows).toMatchObject([{ value: 9, records: 4, users: 1 }])
  })
})
