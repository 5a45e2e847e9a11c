import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'
import type { AuditLog } from './audit-log.js'
import type { Pseudonymiser } from './pseudonymiser.js'

export interface ErasureResult {
  erasure_id: string
  /** Whether the user's usage records were deleted or kept anonymous. */
  usage: 'deleted' | 'anonymised'
  /** Stored rows that carried the user's pseudonym (every stored version counts). */
  usage_records: number
  usage_levels: number
  orders: number
  /** Monthly cells whose sums and distinct-user sets were rebuilt without the user. */
  monthly_cells: number
}

const Count = z.object({ n: z.coerce.number() })
const Cell = z.object({ metric: z.string(), month: z.string(), provider: z.string(), resource: z.string(), user_group: z.string(), order_ref: z.string(), installation: z.string() })
const CELL = 'metric, month, provider, resource, user_group, order_ref, installation'
/** The cells passed as one JSON parameter, as rows to compare with `(${CELL})`. */
const CELLS_PARAM = `SELECT c.1, toDate(c.2), c.3, c.4, c.5, c.6, c.7
  FROM (SELECT arrayJoin(JSONExtract({cells:String}, 'Array(Tuple(String, String, String, String, String, String, String))')) AS c)`
const SYNC = { mutations_sync: '2' }

/**
 * Erasure (DESIGN §3.6): every row derived from a user's identifier goes. By default the user's
 * usage records go (every stored version of each record whose current version is theirs); with
 * `keepUsage` they stay as anonymous usage — the provider's accounting keeps its totals, as
 * aggregates do after the retention period — and only the pseudonym goes. Either way the
 * pseudonym is gone from the raw and level records (superseded versions too) and from the orders
 * the user owns, and the monthly cells that counted the user are rebuilt from the records, so
 * their sums and distinct-user sets no longer hold it. Runs inside the usage writer's sequence
 * (`exclusively`), so no insert of this process lands in a cell while it is rebuilt. Audited with
 * counts only. Not reachable from here: copies in Kafka topics (they age out with topic retention)
 * and the source systems, which must erase on their side.
 */
export function createErasure(deps: { store: Store; pseudonymiser: Pick<Pseudonymiser, 'everyPseudonym'>; audit: AuditLog; exclusively: <T>(fn: () => Promise<T>) => Promise<T> }) {
  const { store } = deps
  const count = async (sql: string, p: string[]) => (await store.query(sql, { p }, Count))[0]?.n ?? 0

  return async function erase(user: string, actor: string, opts: { keepUsage?: boolean } = {}): Promise<ErasureResult> {
    // Under every key of the ring: a subject has one pseudonym per key period.
    const p = deps.pseudonymiser.everyPseudonym(user)
    const counts = await deps.exclusively(async () => {
      const cells = await store.query(
        `SELECT DISTINCT metric, toString(toStartOfMonth(at)) AS month, provider, resource, user_group, order_ref, installation
         FROM usage_records WHERE user_id IN {p:Array(String)}`,
        { p },
        Cell,
      )
      const found = {
        usage_records: await count('SELECT count() AS n FROM usage_records WHERE user_id IN {p:Array(String)}', p),
        usage_levels: await count('SELECT count() AS n FROM usage_levels WHERE user_id IN {p:Array(String)}', p),
        orders: await count('SELECT count() AS n FROM orders WHERE owner_pseudo IN {p:Array(String)}', p),
        monthly_cells: cells.length,
      }
      for (const table of ['usage_records', 'usage_levels'] as const) {
        if (!found[table]) continue
        if (!opts.keepUsage) {
          // Every version of the records that are the user's now; deleting only the user's version
          // would bring back an older one of someone else.
          await store.command(
            `ALTER TABLE ${table} DELETE WHERE (provider, record_id) IN (SELECT provider, record_id FROM ${table} FINAL WHERE user_id IN {p:Array(String)})`,
            { p },
            SYNC,
          )
        }
        // Versions since superseded by someone else's (or all of them, keeping the usage).
        await store.command(`ALTER TABLE ${table} UPDATE user_id = '' WHERE user_id IN {p:Array(String)}`, { p }, SYNC)
      }
      if (found.orders) await store.command(`ALTER TABLE orders UPDATE owner_pseudo = '' WHERE owner_pseudo IN {p:Array(String)}`, { p }, SYNC)
      if (cells.length) {
        const param = { cells: JSON.stringify(cells.map((c) => [c.metric, c.month, c.provider, c.resource, c.user_group, c.order_ref, c.installation])) }
        await store.command(`ALTER TABLE usage_monthly DELETE WHERE (${CELL}) IN (${CELLS_PARAM})`, param, SYNC)
        // As the materialised view would have built them from the current records alone.
        await store.command(
          `INSERT INTO usage_monthly
           SELECT provider, resource, metric, user_group, order_ref, installation, toStartOfMonth(at) AS month,
                  sum(toDecimal128(value, 9)), count(), uniqExactStateIf(user_id, user_id != '')
           FROM usage_records FINAL
           WHERE (metric, toStartOfMonth(at), provider, resource, user_group, order_ref, installation) IN (${CELLS_PARAM})
           GROUP BY provider, resource, metric, user_group, order_ref, installation, month`,
          param,
        )
      }
      return found
    })
    const result = { usage: opts.keepUsage ? ('anonymised' as const) : ('deleted' as const), ...counts }
    const entry = await deps.audit.record(actor, 'privacy.erasure', result)
    return { erasure_id: entry.id, ...result }
  }
}

export type Erase = ReturnType<typeof createErasure>
