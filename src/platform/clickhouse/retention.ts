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
  // An order's owner pseudonym goes `n` months after the order closed or was rejected; open orders
  // keep it (their usage still links by owner). DateTime64 first, so far dates cannot overflow.
  await store.command(
    `ALTER TABLE orders MODIFY COLUMN owner_pseudo String TTL toDateTime(if(status IN ('closed', 'rejected'),
       least(addMonths(ifNull(last_event_at, toDateTime64(0, 3, 'UTC')), ${n}), toDateTime64('2106-01-01 00:00:00', 3, 'UTC')),
       toDateTime64('2106-01-01 00:00:00', 3, 'UTC')))`,
  )
}
