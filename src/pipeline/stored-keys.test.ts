import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectStore } from '../platform/clickhouse/client.js'
import { migrate } from '../platform/clickhouse/migrate.js'
import type { Store } from '../platform/clickhouse/store.js'
import { KeyFingerprints, StoredKeys } from './stored-keys.js'

let store: Store

beforeAll(async () => {
  store = connectStore({ kind: 'embedded', path: join(mkdtempSync(join(tmpdir(), 'eosc-am-keys-')), 'clickhouse') })
  await migrate(store)
  // 2,500 keys over three providers, some of them in two versions.
  await store.command(
    `INSERT INTO usage_records (provider, record_id, resource, metric, value, start, end, at, version)
     SELECT concat('prov-', toString(number % 3)), concat('job-', toString(number)), 'r', 'cpu_hours', 1, now64(3), now64(3), now64(3), 1
     FROM numbers(2500)`,
  )
  await store.command(
    `INSERT INTO usage_records (provider, record_id, resource, metric, value, start, end, at, version)
     SELECT concat('prov-', toString(number % 3)), concat('job-', toString(number)), 'r', 'cpu_hours', 2, now64(3), now64(3), now64(3), 2
     FROM numbers(100)`,
  )
})
afterAll(() => store.close())

describe('StoredKeys', () => {
  it('says every key may be stored until the stored keys are loaded', () => {
    const keys = new StoredKeys()
    expect(keys.mayHave('prov-0', 'never-written')).toBe(true)
  })

  it('knows every stored key after loading them page by page, and few others', async () => {
    const keys = new StoredKeys(400, 0)
    const progress: number[] = []
    await keys.load(store, (n) => progress.push(n))
    expect(progress.length).toBeGreaterThanOrEqual(6)
    for (let i = 0; i < 2500; i++) expect(keys.mayHave(`prov-${i % 3}`, `job-${i}`)).toBe(true)
    // Fingerprints: a batch of thousands of new keys should not meet a single false "may".
    let falsePositives = 0
    for (let i = 0; i < 100_000; i++) if (keys.mayHave(`prov-${i % 3}`, `other-${i}`)) falsePositives++
    expect(falsePositives).toBe(0)
    // A key with the provider and record id split differently is another key.
    expect(keys.mayHave('prov-0job-', '0')).toBe(false)
  })

  it('knows the keys added after loading, past the first layer of fingerprints', async () => {
    const keys = new StoredKeys()
    await keys.load(store)
    const n = (1 << 20) + 5000
    for (let i = 0; i < n; i++) keys.add('p', `k${i}`)
    for (let i = 0; i < n; i += 97) expect(keys.mayHave('p', `k${i}`)).toBe(true)
    let falsePositives = 0
    for (let i = 0; i < 100_000; i++) if (keys.mayHave('p', `absent-${i}`)) falsePositives++
    expect(falsePositives).toBeLessThan(2)
  })

  it('claims a key: whether it may be stored, and from then on it may', async () => {
    const keys = new StoredKeys()
    expect(keys.claim('prov-0', 'before-load')).toBe(true)
    await keys.load(store)
    expect(keys.mayHave('prov-0', 'before-load')).toBe(true)
    expect(keys.claim('prov-1', 'job-1')).toBe(true)
    expect(keys.claim('prov-9', 'claimed-once')).toBe(false)
    expect(keys.claim('prov-9', 'claimed-once')).toBe(true)
  })

  it('stops loading on request and stays cautious', async () => {
    const keys = new StoredKeys(10, 0)
    const loading = keys.load(store)
    await keys.stop()
    await loading
    expect(keys.mayHave('prov-0', 'never-written')).toBe(true)
  })

  it('keeps fingerprints of keys: added once, found, forgotten when cleared, growing past a layer', () => {
    const set = new KeyFingerprints(16)
    for (let i = 0; i < 100; i++) expect(set.add('p', `k${i}`)).toBe(true)
    expect(set.add('p', 'k7')).toBe(false)
    for (let i = 0; i < 100; i++) expect(set.has('p', `k${i}`)).toBe(true)
    expect(set.has('p', 'k100')).toBe(false)
    set.clear()
    expect(set.has('p', 'k7')).toBe(false)
  })
})
