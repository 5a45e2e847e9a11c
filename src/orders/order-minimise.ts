import type { Outcome } from '../collectors/collect.js'
import { issueMessages } from '../collectors/collect.js'
import { withDerived } from './order-history.js'
import { OPEN_ACCESS_TYPES, orderRef, STATUS_TYPES, type OrderState, type StatusChange, type StatusType } from './order-types.js'
import { ProjectItemPayload, ProjectPayload, type MarketplaceEvent } from './project-item.schema.js'

export interface MinimiseOptions {
  instance: string
  /**
   * The same keyed HMAC as usage users, so owner and usage user pseudonyms join. With a keyring,
   * the key of the order's first known instant: the owner's usage in that key period links by
   * user; after a key change, by order reference or resource.
   */
  pseudonymise: (id: string, atMs?: number) => string
  /** The item's project (raw Ordering API JSON): owner, typology, domains. */
  project?: unknown
  /** This item's events from the stream: the only source of times (payloads have none). */
  events?: readonly MarketplaceEvent[]
  /** Direct push: the current status is known to hold from this instant (RFC 3339 UTC). */
  observedAt?: string
}

const STATUS_FIELDS: ReadonlySet<string> = new Set(['status.type', 'status_type'])
const isStatusType = (v: string | null): v is StatusType => v !== null && (STATUS_TYPES as readonly string[]).includes(v)
const HINT = /^[\x21-\x7e][\x20-\x7e]{0,254}$/

/**
 * Raw Ordering API JSON → the minimised order state. Owner e-mail and names, project name,
 * organisation, department, webpage, countries, user group, offer properties, vouchers,
 * user secrets and the free-text status value are never read; the owner's uid becomes a
 * pseudonym. A payload without a usable identity or status type is rejected, never thrown.
 */
export function minimiseProjectItem(raw: unknown, opts: MinimiseOptions): Outcome<OrderState> {
  const parsed = ProjectItemPayload.safeParse(raw)
  if (!parsed.success) return { ok: false, errors: issueMessages(parsed.error) }
  const item = parsed.data
  const project = ProjectPayload.safeParse(opts.project)
  const owner = project.success && project.data.id === item.project_id ? project.data : null

  const events = (opts.events ?? []).filter(
    (e) => e.resource === 'project_item' && e.project_id === item.project_id && e.project_item_id === item.id,
  )
  const times = events.map((e) => e.timestamp)
  if (opts.observedAt) times.push(opts.observedAt)
  const changes = events.flatMap(statusChanges)
  if (opts.observedAt) changes.push({ at: opts.observedAt, from: null, to: item.status.type })

  const orderType = item.attributes?.order_type ?? null
  const createdAt = earliestOf(events.filter((e) => e.type === 'create').map((e) => e.timestamp))
  const firstAt = earliestOf(times)
  const keyAt = createdAt ?? firstAt
  return {
    ok: true,
    row: withDerived({
      order_ref: orderRef(opts.instance, item.project_id, item.id),
      instance: opts.instance,
      project_id: item.project_id,
      item_id: item.id,
      status: item.status.type,
      created_at: createdAt,
      first_event_at: firstAt,
      last_event_at: latestOf(times),
      status_changes: changes,
      status_history: [],
      active_windows: [],
      order_type: orderType,
      open_access: orderType !== null && OPEN_ACCESS_TYPES.includes(orderType),
      service_name: item.attributes?.service ?? null,
      offer_name: item.attributes?.offer ?? null,
      category: item.attributes?.category ?? null,
      resource_pid: omsHint(item.oms_params, 'resource_pid'),
      provider: omsHint(item.oms_params, 'provider'),
      owner_pseudo: owner?.owner ? opts.pseudonymise(owner.owner.uid, keyAt === null ? undefined : Date.parse(keyAt)) : null,
      customer_typology: owner?.attributes?.customer_typology ?? null,
      scientific_domains: owner?.attributes?.scientific_domains ?? [],
    }),
  }
}

function statusChanges(e: MarketplaceEvent): StatusChange[] {
  if (e.type !== 'update') return []
  return (e.changes ?? []).flatMap((c) =>
    STATUS_FIELDS.has(c.field) && isStatusType(c.after) ? [{ at: e.timestamp, from: isStatusType(c.before) ? c.before : null, to: c.after }] : [],
  )
}

/** Only identifier-shaped values: an OMS parameter is provider-set text, not a place for prose. */
function omsHint(params: Record<string, unknown> | null | undefined, key: string): string | null {
  const v = params?.[key]
  return typeof v === 'string' && HINT.test(v.trim()) ? v.trim() : null
}

function earliestOf(times: readonly string[]): string | null {
  return times.reduce<string | null>((min, t) => (min === null || Date.parse(t) < Date.parse(min) ? t : min), null)
}

function latestOf(times: readonly string[]): string | null {
  return times.reduce<string | null>((max, t) => (max === null || Date.parse(t) > Date.parse(max) ? t : max), null)
}
