import { createHmac } from 'node:crypto'

/**
 * Deterministic usage records: 20 providers × 10 resources, 2,000 users, sequential job ids per
 * provider (as batch systems number jobs), spread over 2026.
 */
export interface GenOptions {
  count: number
  offset?: number
  providers?: number
  users?: number
}

const YEAR_START = Date.UTC(2026, 0, 1)
const YEAR_MS = 365 * 86_400_000

export function* usageRecords({ count, offset = 0, providers = 20, users = 2000 }: GenOptions) {
  for (let i = offset; i < offset + count; i++) {
    const p = i % providers
    const end = YEAR_START + 3_600_000 + ((i * 7919) % (YEAR_MS - 7_200_000))
    yield {
      record_id: `job-${String(Math.floor(i / providers)).padStart(9, '0')}`,
      provider: `prov-${p}`,
      resource: `21.11170/res-${p}-${(i >> 5) % 10}`,
      metric: 'cpu_hours',
      value: ((i % 97) + 1) / 4,
      start: new Date(end - 3_600_000).toISOString(),
      end: new Date(end).toISOString(),
      user: `user-${(i * 31) % users}@egi.eu`,
      group: `vo-${i % 7}`,
    }
  }
}

/** The same record as a usage_ingest row (what the collector produces), for the engine's raw insert. */
export function asIngestRow(r: ReturnType<typeof usageRecords> extends Generator<infer T> ? T : never, key: Buffer, version: number) {
  const ch = (iso: string) => iso.slice(0, 10) + ' ' + iso.slice(11, 23)
  return {
    provider: r.provider,
    record_id: r.record_id,
    resource: r.resource,
    metric: r.metric,
    value: r.value,
    start: ch(r.start),
    end: ch(r.end),
    at: ch(new Date(Date.parse(r.end) - 1).toISOString()),
    user_id: 'u_' + createHmac('sha256', key).update(r.user).digest('base64url'),
    user_group: r.group,
    order_ref: '',
    installation: '',
    version,
    sign: 1,
  }
}
