import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { UsageRow } from '../collectors/usage-record.schema.js'
import { connectStore } from '../platform/clickhouse/client.js'
import { migrate } from '../platform/clickhouse/migrate.js'
import type { Store } from '../platform/clickhouse/store.js'
import { createMetrics } from '../platform/metrics.js'
import { LANDING_TABLES } from './usage-landing.js'
import { encodeUsage } from './usage-part.js'
import { StoredKeys } from './stored-keys.js'
import { usageIngestBlock } from './usage-ingest-native.js'
import { USAGE_INGEST_TSV, usageIngestLine } from './usage-ingest-tsv.js'
import { createUsageWriter, type UsageWriter } from './usage-writer.js'

let store: Store
const errors: unknown[] = []
const AT = Date.UTC(2026, 2, 10)

beforeAll(async () => {
  store = connectStore({ kind: 'embedded', path: join(mkdtempSync(join(tmpdir(), 'eosc-am-landing-')), 'clickhouse') })
  await migrate(store)
})
afterAll(() => store.close())
beforeEach(async () => {
  for (const t of ['usage_records', 'usage_monthly', 'usage_levels', ...LANDING_TABLES]) await store.command(`TRUNCATE TABLE ${t}`)
  errors.length = 0
})

const row = (id: string, value: number, version: number, user = 'u_' + 'a'.repeat(43)): UsageRow => ({
  provider: 'egi',
  record_id: id,
  resource: 'res',
  metric: 'cpu_hours',
  value,
  start: AT - 3_600_000,
  end: AT,
  at: AT - 1,
  user_id: user,
  user_group: '',
  order_ref: '',
  installation: '',
  version,
})

function writer(limits = { moveRows: 250_000, idleMs: 60_000, maxAgeMs: 60_000 }, more: { storedKeys?: StoredKeys; isLevelMetric?: (m: string) => boolean } = {}): UsageWriter {
  return createUsageWriter({ store, metrics: createMetrics(), isLevelMetric: () => false, ...more, landing: { limits, onError: (e) => errors.push(e) } })
}

/** What a started process recovers, closed again (its landing files too). */
async function recoverOnce(): Promise<number> {
  const w = writer()
  try {
    return await w.recover()
  } finally {
    await w.close()
  }
}

const count = (table: string) => store.query(`SELECT count() AS n FROM ${table}`, {}, z.object({ n: z.coerce.number() })).then((r) => r[0]!.n)
const monthly = () =>
  store
    .query(`SELECT sum(value) AS v, sum(records) AS n FROM usage_monthly`, {}, z.object({ v: z.coerce.number(), n: z.coerce.number() }))
    .then((r) => r[0]!)

describe('usage landing (embedded ingest)', () => {
  it('acknowledges a batch once landed, and makes it visible to reports when settled', async () => {
    const w = writer()
    await w.write([row('j1', 2, 1), row('j2', 3, 1)], {})
    expect(await count('usage_records')).toBe(0)
    expect(await count(LANDING_TABLES[0])).toBe(2)
    await w.settled()
    expect(await count('usage_records')).toBe(2)
    expect(await monthly()).toEqual({ v: 5, n: 2 })
    await w.close()
  })

  it('moves on its own once no batch came for a while, rows waited long enough, or a table is full', async () => {
    const idle = writer({ moveRows: 250_000, idleMs: 50, maxAgeMs: 60_000 })
    await idle.write([row('j1', 1, 1)], {})
    await expect.poll(() => count('usage_records'), { timeout: 5000 }).toBe(1)
    await idle.close()
    // Batches every 20 ms never leave it idle for 200 ms; the first row's age moves them.
    const busy = writer({ moveRows: 250_000, idleMs: 200, maxAgeMs: 100 })
    for (let b = 0; b < 15 && (await count('usage_records')) === 1; b++) {
      await busy.write([row(`b${b}`, 1, 1)], {})
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(await count('usage_records')).toBeGreaterThan(1)
    await busy.close()
    const full = writer({ moveRows: 3, idleMs: 60_000, maxAgeMs: 60_000 })
    await full.write([row('f1', 1, 1), row('f2', 1, 1), row('f3', 1, 1)], {})
    await expect.poll(() => count("usage_records WHERE record_id LIKE 'f%'"), { timeout: 5000 }).toBe(3)
    await full.close()
  })

  it('replaces a record still landed: the lookup reads the landing tables, totals never double', async () => {
    const w = writer()
    await w.write([row('j1', 2, 1)], {})
    await w.write([row('j1', 5, 2)], {})
    await w.settled()
    expect(await monthly()).toEqual({ v: 5, n: 1 })
    // A redelivery of the older version is skipped, landed or moved.
    await w.write([row('j1', 2, 1)], {})
    await w.settled()
    expect(await monthly()).toEqual({ v: 5, n: 1 })
    await w.close()
  })

  it('keeps moving while batches land, each row moved once', async () => {
    const w = writer({ moveRows: 50, idleMs: 10, maxAgeMs: 20 })
    for (let b = 0; b < 20; b++) await w.write(Array.from({ length: 40 }, (_, i) => row(`j${b}-${i}`, 1, 1)), {})
    await w.settled()
    expect(await monthly()).toEqual({ v: 800, n: 800 })
    expect(await count('usage_records')).toBe(800)
    await w.close()
  })

  it('completes at start what a stopped process left landed, once even if it had already moved it', async () => {
    const lines = [row('j1', 2, 1), row('j2', 3, 1)].map((r) => usageIngestLine(r, 1, false, false)).join('\n') + '\n'
    const land = (table: string) => store.insertTsv(table, { ...USAGE_INGEST_TSV, select: '*', text: lines })
    await land(LANDING_TABLES[1])
    expect(await recoverOnce()).toBe(2)
    expect(await monthly()).toEqual({ v: 5, n: 2 })
    expect(await count(LANDING_TABLES[1])).toBe(0)
    // Killed after the move and before the clean-up: the same rows are found landed again.
    await land(LANDING_TABLES[1])
    expect(await recoverOnce()).toBe(2)
    expect(await monthly()).toEqual({ v: 5, n: 2 })
  })

  it('cuts at start a block the stopped process was killed in the middle of appending, keeping the whole ones', async () => {
    const [{ path }] = (await store.query(`SELECT data_paths[1] AS path FROM system.tables WHERE name = {t:String}`, { t: LANDING_TABLES[0] }, z.object({ path: z.string() }))) as [{ path: string }]
    const whole = usageIngestBlock([row('j1', 2, 1), row('j2', 3, 1)].map((r) => ({ row: r, sign: 1, trackLevel: false, usersDirty: false })))
    const cut = usageIngestBlock([row('j3', 4, 1)].map((r) => ({ row: r, sign: 1, trackLevel: false, usersDirty: false })))
    appendFileSync(path, whole)
    appendFileSync(path, cut.subarray(0, cut.length - 9))
    const w = writer()
    expect(await w.recover()).toBe(2)
    expect(await monthly()).toEqual({ v: 5, n: 2 })
    expect(statSync(path).size).toBe(0)
    // The file takes whole blocks again after the cut.
    await w.write([row('j4', 1, 1)], {})
    expect(await count(LANDING_TABLES[0])).toBe(1)
    expect(readFileSync(path).length).toBeGreaterThan(0)
    await w.close()
    expect(await monthly()).toEqual({ v: 6, n: 3 })
  })

  it('moves at start what the engine-inserted landing tables of earlier versions hold, and drops them', async () => {
    await store.command('CREATE TABLE IF NOT EXISTS usage_landing_b AS usage_ingest ENGINE = StripeLog')
    const lines = [row('old1', 2, 1), row('old2', 3, 1)].map((r) => usageIngestLine(r, 1, false, false)).join('\n') + '\n'
    await store.insertTsv('usage_landing_b', { ...USAGE_INGEST_TSV, text: lines })
    expect(await recoverOnce()).toBe(2)
    expect(await monthly()).toEqual({ v: 5, n: 2 })
    const left = await store.query(`SELECT name FROM system.tables WHERE name IN ('usage_landing_a', 'usage_landing_b')`, {}, z.object({ name: z.string() }))
    expect(left).toEqual([])
  })

  it('leaves nothing landed behind work that runs exclusively (erasure)', async () => {
    const w = writer()
    await w.write([row('j1', 2, 1)], {})
    const seen = await w.exclusively(async () => ({ records: await count('usage_records'), landed: (await count(LANDING_TABLES[0])) + (await count(LANDING_TABLES[1])) }))
    expect(seen).toEqual({ records: 1, landed: 0 })
    await w.close()
  })

  describe('parts encoded at intake', () => {
    const LIMITS = { moveRows: 250_000, idleMs: 60_000, maxAgeMs: 60_000 }
    const loadedKeys = async () => {
      const keys = new StoredKeys()
      await keys.load(store)
      return keys
    }
    const part = (rows: UsageRow[], isLevel = () => false) => encodeUsage(rows, isLevel)

    it('land as encoded when every key is new, and count once when settled', async () => {
      const w = writer(LIMITS, { storedKeys: await loadedKeys() })
      await w.writeParts([part([row('p1', 1, 1), row('p2', 2, 1)]), part([row('p3', 3, 2)])])
      expect(await count(LANDING_TABLES[0])).toBe(3)
      await w.settled()
      expect(await monthly()).toEqual({ v: 6, n: 3 })
      await w.close()
    })

    it('replace a stored or landed record instead of counting it twice, and skip a redelivered older version', async () => {
      const keys = await loadedKeys()
      const w = writer(LIMITS, { storedKeys: keys })
      await w.writeParts([part([row('r1', 1, 1), row('r2', 2, 1)])])
      await w.settled()
      await w.writeParts([part([row('r1', 10, 2)])]) // stored
      await w.writeParts([part([row('r1', 20, 3)])]) // landed, not yet moved
      await w.writeParts([part([row('r2', 2, 1)])]) // an older version again
      await w.settled()
      expect(await monthly()).toEqual({ v: 22, n: 2 })
      await w.close()
    })

    it('keep the latest version of a key met twice in one batch, in one part or across parts', async () => {
      const w = writer(LIMITS, { storedKeys: await loadedKeys() })
      await w.writeParts([part([row('d1', 1, 1), row('d1', 5, 3)]), part([row('d1', 4, 2), row('d2', 1, 1)])])
      await w.settled()
      expect(await monthly()).toEqual({ v: 6, n: 2 })
      await w.close()
    })

    it('are written row by row where a metric changed between level and additive since encoding', async () => {
      const w = writer(LIMITS, { storedKeys: await loadedKeys(), isLevelMetric: () => true })
      await w.writeParts([part([row('l1', 7, 1)], () => false)])
      await w.settled()
      expect(await count('usage_levels')).toBe(1)
      await w.close()
    })

    it('are looked up key by key without a stored-keys filter', async () => {
      const w = writer()
      await w.writeParts([part([row('n1', 1, 1)])])
      await w.writeParts([part([row('n1', 3, 2)])])
      await w.settled()
      expect(await monthly()).toEqual({ v: 3, n: 1 })
      await w.close()
    })
  })
})
