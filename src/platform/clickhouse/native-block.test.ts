import { appendFileSync, mkdtempSync, readFileSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectStore } from './client.js'
import { NativeBlockWriter, nativeColumns, wholeBlocks } from './native-block.js'
import type { Store } from './store.js'

const STRUCTURE = 's String, f Float64, i Int64, u UInt64, b Int8, x UInt8'
const columns = nativeColumns(STRUCTURE)
const rows = [
  { s: '', f: 0.25, i: -1, u: 0, b: -1, x: 0 },
  { s: 'ascii-job-000123', f: 1e300, i: -(2 ** 40) - 7, u: 2 ** 53 - 1, b: 1, x: 1 },
  { s: 'Zürich – 東京 🚀', f: 123.456, i: 1_767_225_600_000, u: 1_795_563_711_686_001, b: 0, x: 255 },
  { s: 'é'.repeat(100), f: 0, i: 2 ** 32, u: 2 ** 32 - 1, b: -128, x: 7 },
  { s: 'a'.repeat(300), f: 5, i: 0, u: 1, b: 127, x: 0 },
]

function block(part: typeof rows): Buffer {
  const w = new NativeBlockWriter(columns.length, part.length, 8)
  w.column('s', 'String')
  for (const r of part) w.string(r.s)
  w.column('f', 'Float64')
  for (const r of part) w.float64(r.f)
  w.column('i', 'Int64')
  for (const r of part) w.int64(r.i)
  w.column('u', 'UInt64')
  for (const r of part) w.int64(r.u)
  w.column('b', 'Int8')
  for (const r of part) w.int8(r.b)
  w.column('x', 'UInt8')
  for (const r of part) w.uint8(r.x)
  return Buffer.from(w.bytes())
}

let store: Store
let file: string

beforeAll(async () => {
  store = connectStore({ kind: 'embedded', path: join(mkdtempSync(join(tmpdir(), 'eosc-am-native-')), 'clickhouse') })
  await store.command(`CREATE TABLE t (${STRUCTURE}) ENGINE = File(Native)`)
  await store.command(`INSERT INTO t (s) SELECT '' FROM numbers(0)`)
  const [row] = await store.query(`SELECT data_paths[1] AS p FROM system.tables WHERE name = 't'`, {}, z.object({ p: z.string() }))
  file = row!.p
})
afterAll(() => store.close())

const read = () =>
  store.query(
    'SELECT s, f, toString(i) AS i, toString(u) AS u, b, x FROM t',
    {},
    z.object({ s: z.string(), f: z.number(), i: z.coerce.number(), u: z.coerce.number(), b: z.number(), x: z.number() }),
  )

describe('Native blocks written from JavaScript', () => {
  it('are read back by the engine exactly: UTF-8, long strings, 64-bit integers, appended block after block', async () => {
    appendFileSync(file, block(rows.slice(0, 2)))
    appendFileSync(file, block(rows.slice(2)))
    expect(await read()).toEqual(rows)
  })

  it('tells the whole blocks from a block cut short', () => {
    const data = readFileSync(file)
    const first = block(rows.slice(0, 2)).length
    expect(wholeBlocks(data, columns.map((c) => c.type))).toEqual({ bytes: data.length, rows: 5 })
    for (const cut of [first + 1, first + 20, data.length - 1]) {
      expect(wholeBlocks(data.subarray(0, cut), columns.map((c) => c.type))).toEqual({ bytes: first, rows: 2 })
    }
    expect(wholeBlocks(data.subarray(0, first - 1), columns.map((c) => c.type))).toEqual({ bytes: 0, rows: 0 })
    truncateSync(file, 0)
  })

  it('refuses a structure it has no writer for', () => {
    expect(() => nativeColumns('a String, d DateTime')).toThrow(/no Native writer for column 'd DateTime'/)
  })
})
