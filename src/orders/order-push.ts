import type { Outcome } from '../collectors/collect.js'
import { parseRfc3339 } from '../collectors/rfc3339.js'
import { minimiseProjectItem } from './order-minimise.js'
import type { ClickHouseOrderStore } from './order-store.js'
import type { OrderState } from './order-types.js'
import { ORDER_REF } from './order-view.schema.js'

/** How far in the future an `observed_at` may lie (clock skew between the pusher and us). */
const MAX_SKEW_MS = 5 * 60_000

/**
 * A direct push of one project item (`PUT /v1/orders/{order_ref}`): minimised exactly like a polled
 * item, its status taken as observed at `observedAt`, merged with what is stored. Data problems
 * are returned as errors, never thrown; only storage failures throw.
 */
export async function pushOrder(
  deps: { store: ClickHouseOrderStore; pseudonymise: (id: string, atMs?: number) => string; now?: () => number },
  orderRef: string,
  body: { project?: unknown; observed_at?: string | undefined } & Record<string, unknown>,
): Promise<Outcome<OrderState>> {
  const m = ORDER_REF.exec(orderRef)
  if (!m) return { ok: false, errors: ['order_ref: must be <instance>:<project_id>:<item_id>'] }
  const [, instance, projectId, itemId] = m as unknown as [string, string, string, string]
  const now = (deps.now ?? Date.now)()
  const errors: string[] = []
  if (Number(projectId) !== body.project_id) errors.push(`project_id: must be ${projectId}, as in the order_ref`)
  if (Number(itemId) !== body.id) errors.push(`id: must be ${itemId}, as in the order_ref`)
  const project = body.project as { id?: unknown } | undefined
  if (project !== undefined && project.id !== body.project_id) errors.push('project.id: must equal project_id')
  let observedMs = now
  if (body.observed_at !== undefined) {
    const t = parseRfc3339(body.observed_at)
    if (t === null) errors.push('observed_at: must be an RFC 3339 timestamp')
    else if (t > now + MAX_SKEW_MS) errors.push('observed_at: must not be in the future')
    else observedMs = t
  }
  if (errors.length) return { ok: false, errors }

  const out = minimiseProjectItem(body, { instance, pseudonymise: deps.pseudonymise, project, observedAt: new Date(observedMs).toISOString() })
  if (!out.ok) return out
  await deps.store.saveOrders([out.row])
  const [stored] = await deps.store.getOrders([orderRef])
  if (!stored) throw new Error(`order ${orderRef} not found right after it was stored`)
  return { ok: true, row: stored }
}
