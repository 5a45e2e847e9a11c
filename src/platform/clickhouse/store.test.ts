import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { connectStore } from './client.js'
import type { Store } from './store.js'

const path = join(mkdtempSync(join(tmpdir(), 'eosc-am-store-')), 'clickhouse')
const spool = `${path}.spool`
let store: Store

beforeAll(async () => {
  // A file left by a crashed insert: never acknowledged, so it is dropped at start.
  mkdirSync(spool, { recursive: true })
  writeFileSync(join(spool, 'left-by-a-crash.ndjson'), '{"k":"x","v":1}\n')
  store = connectStore({ kind: 'embedded', path })
  await store.command('CREATE TABLE t (k String, v UInt64) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100')
})
afterAll(() => store.close())

const count = async () => (await store.query('SELECT count() AS n, sum(v) AS s FROM t', {}, z.object({ n: z.coerce.number(), s: z.coerce.number() })))[0]
const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => JSON.stringify({ k: `key-${from + i}-${'x'.repeat(40)}`, v: 1 })).join('\n')

describe('Store.insertNdjson, embedded', () => {
  it('clears the spool of files a crash left behind', () => {
    expect(readdirSync(spool)).toEqual([])
  })

  it('inserts small batches inline and large ones through the spool, leaving no file behind', async () => {
    await store.insertNdjson('t', lines(10))
    const large = lines(20_000, 10)
    expect(large.length).toBeGreaterThan(256 * 1024)
    await store.insertNdjson('t', large)
    expect(await count()).toEqual({ n: 20_010, s: 20_010 })
    expect(readdirSync(spool)).toEqual([])
  })

  it('deduplicates a large batch re-sent with the same token', async () => {
    const batch = lines(20_000, 100_000)
    await store.insertNdjson('t', batch, 'topic:0:0-19999')
    await store.insertNdjson('t', batch, 'topic:0:0-19999')
    expect(await count()).toEqual({ n: 40_010, s: 40_010 })
  })

  it('fails a bad batch whole, without leaving a file or partial rows', async () => {
    await expect(store.insertNdjson('t', `${lines(20_000, 200_000)}\n{"k":"bad","v":"not a number"}`)).rejects.toThrow()
    expect(await count()).toEqual({ n: 40_010, s: 40_010 })
    expect(readdirSync(spool)).toEqual([])
  })
})
