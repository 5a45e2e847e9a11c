import type { Store } from './store.js'

/**
 * User-level pseudonymous data lives `months` months (EOSC_AM_USER_RETENTION_MONTHS); the
 * aggregates stay. Applied at every start so a changed setting takes effect.
 */
export async function applyRetention(store: Store, months: number): Promise<void> {
  const n = Math.trunc(months)
  for (const table of ['usage_records', 'usage_levels']) {
    await store.command(`ALTER TABLE ${table} MODIFY COLUMN user_id String TTL toDateTime(at) + INTERVAL ${n} MONTH`)
  }
}
