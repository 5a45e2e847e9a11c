import { describe, expect, it } from 'vitest'
import type { UsageRow } from '../collectors/usage-record.schema.js'
import { latestInBatch, PartBatch } from './usage-batch.js'
import { decodeLine, decodeUsage, encodeUsage, lineKey, partLines } from './usage-part.js'

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

const notLevel = () => false
const keysOf = (batch: PartBatch, refs: number[]) => refs.map((ref) => `${batch.key(ref).record_id}@${batch.row(ref).version}`)

describe('usage parts', () => {
  it('decode to exactly the rows encoded, escapes and all', () => {
    const rows = [row({ record_id: 'C:\\jobs\\t1 "q"', user_group: 'tab\there\nnl\\ é😀', value: 1e-7 }), row({ record_id: 'b', installation: '\\N', version: 7 })]
    const part = encodeUsage(rows, notLevel)
    expect(part.count).toBe(2)
    expect(decodeUsage(part)).toEqual(rows)
    expect(lineKey(partLines(part)[0]!)).toEqual({ provider: 'p', record_id: 'C:\\jobs\\t1 "q"' })
  })

  it('record each metric with whether it was a level metric, and carry it as track_level', () => {
    const part = encodeUsage([row({ metric: 'storage' }), row({ record_id: 's', metric: 'cpu_hours' })], (m) => m === 'storage')
    expect(part.levels).toEqual([['storage', true], ['cpu_hours', false]])
    expect(partLines(part).map((l) => l.split('\t')[14])).toEqual(['1', '0'])
  })
})

describe('latestInBatch', () => {
  it('keeps every row when each key comes once, touching no line', () => {
    const batch = new PartBatch([encodeUsage([row({ record_id: 'a' }), row({ record_id: 'b' })], notLevel), encodeUsage([row({ record_id: 'c' })], notLevel)])
    expect(latestInBatch(batch)).toHaveLength(3)
    expect(batch.text(() => true, () => '').count).toBe(3)
  })

  it('keeps the highest version of a key met in several parts, the later one of equal versions', () => {
    const batch = new PartBatch([
      encodeUsage([row({ record_id: 'a', version: 5, value: 1 }), row({ record_id: 'b', version: 5 })], notLevel),
      encodeUsage([row({ record_id: 'a', version: 3, value: 2 }), row({ record_id: 'b', version: 5, value: 9 })], notLevel),
    ])
    const kept = latestInBatch(batch)
    expect(keysOf(batch, kept)).toEqual(['a@5', 'b@5'])
    const { text, count } = batch.text(() => true, () => '')
    expect(count).toBe(2)
    expect(text.trimEnd().split('\n').map(decodeLine).map((r) => [r.record_id, r.value])).toEqual([
      ['a', 1],
      ['b', 9],
    ])
  })

  it('tells different keys apart when their hashes meet', () => {
    const a = encodeUsage([row({ record_id: 'a' }), row({ record_id: 'b' }), row({ record_id: 'a', version: 2 })], notLevel)
    // Force b's hashes onto a's: the keys must be compared, not the hashes.
    a.hashes[2] = a.hashes[0]!
    a.hashes[3] = a.hashes[1]!
    const batch = new PartBatch([a])
    expect(keysOf(batch, latestInBatch(batch))).toEqual(['b@1', 'a@2'])
  })

  it('encodes a part again when a metric changed between level and additive since', () => {
    const part = encodeUsage([row({ metric: 'storage' })], notLevel)
    const batch = new PartBatch([part])
    latestInBatch(batch)
    const { text } = batch.text(
      (p) => p.levels.every(([m, level]) => (m === 'storage') === level),
      (r) => encodeUsage([r], (m) => m === 'storage').text.slice(0, -1),
    )
    expect(text.split('\t')[14]).toBe('1')
  })
})
