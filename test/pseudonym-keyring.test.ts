import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { loadConfig } from '../src/platform/config.js'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

const USER = 'rotating-user-2f9d@aai.example.org'
const KEYS = `2025=${'11'.repeat(32)},2026=${'22'.repeat(32)}`

let t: TestEngine

beforeAll(async () => {
  t = await startTestEngine({ env: { EOSC_AM_PSEUDONYM_KEYS: KEYS } })
  await t.metric('cpu_hours')
  const at = (day: string) => ({ start: `${day}T00:00:00Z`, end: `${day}T01:00:00Z` })
  const res = await t.request({
    method: 'POST',
    url: '/v1/usage-records',
    body: [
      usageRecord({ record_id: 'rot-1', resource: 'rot-res', user: USER, ...at('2025-12-30') }),
      usageRecord({ record_id: 'rot-2', resource: 'rot-res', user: USER, ...at('2025-12-31') }),
      usageRecord({ record_id: 'rot-3', resource: 'rot-res', user: USER, ...at('2026-01-02') }),
    ],
  })
  expect(res.body.accepted).toBe(3)
})
afterAll(() => t.close())

const pseudonyms = async () => {
  await t.engine.settleUsage()
  const rows = await t.engine.store.query("SELECT record_id, user_id FROM usage_records FINAL WHERE resource = 'rot-res' ORDER BY record_id", {}, z.object({ record_id: z.string(), user_id: z.string() }))
  return rows.map((r) => r.user_id)
}

describe('a pseudonym keyring (EOSC_AM_PSEUDONYM_KEYS)', () => {
  it('pseudonymises each record with the key of its accounting period', async () => {
    const [a, b, c] = await pseudonyms()
    expect(a).toMatch(/^u_/)
    expect(b).toBe(a)
    expect(c).toMatch(/^u_/)
    expect(c).not.toBe(a)
    // One user within a key period; across the change the same subject counts once per period.
    const years = await t.request({ method: 'GET', url: '/v1/usage?from=2025-01&to=2026-12&granularity=year&resource=rot-res' })
    expect(years.body.rows.map((r: any) => [r.period, r.records, r.users])).toEqual([
      ['2025', 2, 1],
      ['2026', 1, 1],
    ])
  })

  it('erases the subject under every key', async () => {
    const res = await t.request({ method: 'POST', url: '/v1/privacy/erasure', body: { user: USER, keep_usage: true } })
    expect(res.body).toMatchObject({ usage_records: 3, monthly_cells: 2 })
    expect(await pseudonyms()).toEqual(['', '', ''])
  })

  it('refuses a single key and a keyring together', () => {
    expect(() => loadConfig({ EOSC_AM_PSEUDONYM_KEY: 'ab'.repeat(32), EOSC_AM_PSEUDONYM_KEYS: KEYS })).toThrow(/not both/)
    expect(() => loadConfig({ EOSC_AM_PSEUDONYM_KEYS: '2026=abcd' })).toThrow(/EOSC_AM_PSEUDONYM_KEYS 2026: the key must decode to at least 32 bytes/)
  })
})
