import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { UsageRow } from '../collectors/usage-record.schema.js'
import { connectStore } from '../platform/clickhouse/client.js'
import { migrate } from '../platform/clickhouse/migrate.js'
import type { Store } from '../platform/clickhouse/store.js'
import { USAGE_INGEST_TSV, usageIngestLine } from './usage-ingest-tsv.js'

let store: Store

beforeAll(async () => {
  store = connectStore({ kind: 'embedded', path: join(mkdtempSync(join(tmpdir(), 'eosc-am-tsv-')), 'clickhouse') })
  await migrate(store)
})
afterAll(() => store.close())

const row = (over: Partial<UsageRow>): UsageRow => ({
  provider: 'p',
  record_id: 'r',
  resource: 'res',
  metric: 'cpu_hours',
  value: 1.5,
  start: Date.UTC(2026, 0, 1),
  end: Date.UTC(2026, 0, 1, 1),
  at: Date.UTC(2026, 0, 1, 1) - 1,
  user_id: '',
  user_group: '',
  order_ref: '',
  installation: '',
  version: 1,
  ...over,
})

describe('usage_ingest rows as TabSeparated', () => {
  it('carries every character and instant exactly', async () => {
    // Rows from Kafka are checked by UsageRow, which allows any string in the free-text columns.
    const odd = 'tab\there\nnewline\\back\rcr\0nul\bbs\fff \'"é😀'
    const rows = [row({ record_id: 'a', user_group: odd, installation: '\\N' }), row({ record_id: 'b', value: 1e-7, start: 0, end: 7_258_118_399_999, at: 7_258_118_399_998 })]
    await store.insertTsv('usage_ingest', { ...USAGE_INGEST_TSV, text: rows.map((r) => usageIngestLine(r, 1, false, false)).join('\n') + '\n' })
    const back = await store.query(
      `SELECT record_id, user_group, installation, value, toUnixTimestamp64Milli(start) AS start, toUnixTimestamp64Milli(end) AS end
       FROM usage_records ORDER BY record_id`,
      {},
      z.object({ record_id: z.string(), user_group: z.string(), installation: z.string(), value: z.number(), start: z.coerce.number(), end: z.coerce.number() }),
    )
    expect(back).toEqual([
      { record_id: 'a', user_group: odd, installation: '\\N', value: 1.5, start: rows[0]!.start, end: rows[0]!.end },
      { record_id: 'b', user_group: '', installation: '', value: 1e-7, start: 0, end: 7_258_118_399_999 },
    ])
  })

  it('never meets a control character in a key: UsageRow refuses it on the way in from Kafka', () => {
    expect(UsageRow.safeParse(row({ record_id: 'a\nb' })).success).toBe(false)
    expect(UsageRow.safeParse(row({ provider: 'p\tq' })).success).toBe(false)
    expect(UsageRow.safeParse(row({ user_group: 'tab\there' })).success).toBe(true)
  })
})
