import { overlapsWindow } from './active-windows.js'
import type { ActiveWindow } from './order-types.js'

export type LinkMethod = 'explicit_order_ref' | 'user_resource_window' | 'ambiguous' | 'resource_only'

/** A usage row as the linker needs it; `resource` already resolved to its canonical id. */
export interface UsageForLinkage {
  resource: string
  /** Pseudonymous user; null or '' when the record named none. */
  user: string | null
  startMs: number
  endMs: number
  /** The record's `order` field, if any. */
  order: string | null
}

/** An order the caller knows, with its resource resolved (`resolveOrderResource`). */
export interface LinkCandidate {
  order_ref: string
  resource: string | null
  owner_pseudo: string | null
  active_windows: readonly ActiveWindow[]
}

export type Linkage =
  | { method: 'explicit_order_ref' | 'user_resource_window'; order_ref: string }
  | { method: 'ambiguous'; order_ref: null; candidates: string[] }
  | { method: 'resource_only'; order_ref: null }

/**
 * Decides which order a usage row belongs to (DESIGN §3.5, reference §7.3). `orders` are the
 * orders the caller found for the row: those of its resource and the one its `order` names.
 *
 * 1. The record names an order → `explicit_order_ref`, unless that order is known and resolves
 *    to a different resource (a contradicted claim is not trusted). An order not yet known is
 *    still taken: the provider states it, and the order may simply not have been polled yet.
 * 2. Same pseudonymous user and resource, usage touching an active window → that order;
 *    two or more such orders → `ambiguous`, never a guess.
 * 3. Otherwise `resource_only`.
 */
export function linkUsage(usage: UsageForLinkage, orders: readonly LinkCandidate[]): Linkage {
  if (usage.order) {
    const named = orders.find((o) => o.order_ref === usage.order)
    if (!named || named.resource === null || named.resource === usage.resource) {
      return { method: 'explicit_order_ref', order_ref: usage.order }
    }
  }
  if (usage.user) {
    const matches = new Set(
      orders
        .filter(
          (o) =>
            o.resource === usage.resource &&
            o.owner_pseudo === usage.user &&
            o.active_windows.some((w) => overlapsWindow(usage.startMs, usage.endMs, w)),
        )
        .map((o) => o.order_ref),
    )
    const [only] = matches
    if (matches.size === 1 && only !== undefined) return { method: 'user_resource_window', order_ref: only }
    if (matches.size > 1) return { method: 'ambiguous', order_ref: null, candidates: [...matches].sort() }
  }
  return { method: 'resource_only', order_ref: null }
}
