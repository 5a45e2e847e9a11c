import { activeWindows } from './active-windows.js'
import type { OrderState, StatusChange, StatusEntry, StatusType } from './order-types.js'

const ms = (iso: string) => Date.parse(iso)

/**
 * Combines what was stored for an order with a fresh observation of it. Facts (status changes,
 * creation and event times) are unioned, so replaying events is a no-op; the descriptive fields
 * come from the fresh fetch, which is the Marketplace's current view. Derived fields are rebuilt.
 * An observation made without the project (a push without it, a project no longer visible) keeps
 * the project's fields — owner, typology, domains — from before.
 */
export function mergeOrderStates(previous: OrderState | undefined, next: OrderState): OrderState {
  if (!previous) return withDerived(next)
  const known = new Set(previous.status_changes.map(changeKey))
  const added = next.status_changes.filter((c) => !known.has(changeKey(c)))
  const project =
    next.owner_pseudo === null && previous.owner_pseudo !== null
      ? { owner_pseudo: previous.owner_pseudo, customer_typology: previous.customer_typology, scientific_domains: previous.scientific_domains }
      : {}
  return withDerived({
    ...next,
    ...project,
    created_at: earliest(previous.created_at, next.created_at),
    first_event_at: earliest(previous.first_event_at, next.first_event_at),
    last_event_at: latest(previous.last_event_at, next.last_event_at),
    status_changes: [...previous.status_changes, ...added],
  })
}

/** Recomputes `status_history` and `active_windows` from the facts. */
export function withDerived(state: OrderState): OrderState {
  const status_history = deriveHistory(state)
  const openAccessFrom = state.open_access ? (state.created_at ?? status_history[0]?.at ?? null) : null
  return { ...state, status_history, active_windows: activeWindows(status_history, { openAccessFrom }) }
}

/**
 * The effective history: the initial status at creation (the `from` of the earliest change, or
 * the current status when nothing ever changed), then every change in time order. When the
 * engine never saw the `create` event, its first event for the item stands in for creation.
 * Facts are re-read on every merge, so a guess made before later events arrived corrects itself.
 */
export function deriveHistory(state: Pick<OrderState, 'created_at' | 'first_event_at' | 'status' | 'status_changes'>): StatusEntry[] {
  const facts = orderChanges(state.status_changes)
  const first = facts[0]
  const entries: StatusEntry[] = []
  const anchor = state.created_at ?? state.first_event_at
  const initial = first ? first.from : state.status
  if (anchor !== null && initial !== null) {
    entries.push({ at: first && ms(first.at) < ms(anchor) ? first.at : anchor, status: initial })
  }
  for (const f of facts) {
    if (entries.at(-1)?.status !== f.to) entries.push({ at: f.at, status: f.to })
  }
  return entries
}

/**
 * Changes in time order. Timestamps have whole-second precision, so several changes can share
 * one; within a second they are chained so that each starts where the previous ended.
 */
export function orderChanges(changes: readonly StatusChange[]): StatusChange[] {
  const sorted = [...changes].sort((a, b) => ms(a.at) - ms(b.at))
  const out: StatusChange[] = []
  let current: StatusType | null = null
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j < sorted.length && ms(sorted[j]!.at) === ms(sorted[i]!.at)) j++
    const group = sorted.slice(i, j)
    while (group.length > 0) {
      const pick = chainNext(group, current)
      const [f] = group.splice(pick, 1) as [StatusChange]
      out.push(f)
      current = f.to
    }
    i = j
  }
  return out
}

function chainNext(group: readonly StatusChange[], current: StatusType | null): number {
  const continuing = group.findIndex((f) => f.from !== null && f.from === current)
  if (continuing >= 0) return continuing
  // No link to what came before: start with the head of the chain (a change no other one leads to).
  const head = group.findIndex((f) => !group.some((g) => g !== f && g.to === f.from))
  return head >= 0 ? head : 0
}

function changeKey(c: StatusChange): string {
  return `${ms(c.at)}|${c.from ?? ''}|${c.to}`
}

function earliest(a: string | null, b: string | null): string | null {
  if (a === null) return b
  if (b === null) return a
  return ms(b) < ms(a) ? b : a
}

function latest(a: string | null, b: string | null): string | null {
  if (a === null) return b
  if (b === null) return a
  return ms(b) > ms(a) ? b : a
}
