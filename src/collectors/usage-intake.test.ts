import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MetricDefinition } from '../catalog/metric-definition.schema.js'
import { decodeUsage } from '../pipeline/usage-part.js'
import { AppError } from '../platform/errors.js'
import { Pseudonymiser } from '../privacy/pseudonymiser.js'
import { UsageIntake } from './usage-intake.js'
import { VersionClock } from './version-clock.js'

const key = randomBytes(32)
const defs: MetricDefinition[] = [{ id: 'cpu_hours', unit: 'h', aggregation: 'sum', description: '' }]
// The catalog's copy as the intake sees it: a later definition appears once the catalog looks for it.
const catalog = {
  revision: 1,
  list: () => defs,
  async ensureFresh(ids: Iterable<string>) {
    if ([...ids].includes('gpu_hours') && !defs.some((d) => d.id === 'gpu_hours')) {
      defs.push({ id: 'gpu_hours', unit: 'h', aggregation: 'sum', description: '' })
      catalog.revision++
    }
  },
}
const aliases = { revision: 1, ensureFresh: async () => undefined, entries: () => [['old-name', '21.T/pid'] as [string, string]] }
const intake = new UsageIntake({ catalog, aliases, keys: [{ from: Number.NEGATIVE_INFINITY, key }], clock: new VersionClock(), workers: 2 })
beforeAll(() => intake.start())
afterAll(() => intake.close())

const record = (over: Record<string, unknown> = {}) => ({
  record_id: 'j1',
  provider: 'egi',
  resource: 'old-name',
  metric: 'cpu_hours',
  value: 2,
  start: '2026-03-01T00:00:00Z',
  end: '2026-03-01T01:00:00Z',
  user: 'alice@egi.eu',
  ...over,
})
const ndjson = (...records: object[]) => Buffer.from(records.map((r) => JSON.stringify(r)).join('\n'))

describe('UsageIntake (worker threads)', () => {
  it('collects on a worker: valid rows pseudonymised and re-keyed to the canonical PID, invalid ones rejected by index', async () => {
    const { part, rejected } = await intake.collect(ndjson(record(), record({ record_id: 'j2', value: -1 }), record({ record_id: 'j3', provider: 'other' })), 'application/x-ndjson', new Set(['egi']))
    expect(part.count).toBe(1)
    const [row] = decodeUsage(part)
    expect(row).toMatchObject({ record_id: 'j1', resource: '21.T/pid', user_id: new Pseudonymiser(key).pseudonymise('alice@egi.eu') })
    expect(Buffer.from(part.block).includes('alice')).toBe(false)
    expect(rejected.map((r) => [r.index, r.errors[0]?.split(':')[0]])).toEqual([
      [1, 'value'],
      [2, 'provider'],
    ])
  })

  it('turns a body that is no JSON into the same 400 as before, naming the problem', async () => {
    const err = await intake.collect(Buffer.from('{"not": json'), 'application/json', '*').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' })
  })

  it('looks for a metric its copy does not know and collects the body again once found', async () => {
    const { part, rejected } = await intake.collect(ndjson(record({ metric: 'gpu_hours' })), 'application/x-ndjson', '*')
    expect(rejected).toEqual([])
    expect(decodeUsage(part)[0]!.metric).toBe('gpu_hours')
  })

  it('gives each request a newer version, across workers', async () => {
    const parts = await Promise.all([1, 2, 3, 4].map(() => intake.collect(ndjson(record()), 'application/x-ndjson', '*')))
    const versions = parts.map((p) => decodeUsage(p.part)[0]!.version)
    expect(new Set(versions).size).toBe(4)
  })
})
