import { collect, issueMessages, type Outcome, type Rejection } from './collect.js'
import { DowntimeInput, type DowntimeRow } from './downtime.schema.js'
import type { ParsedBody } from './ingest-body.js'
import { parseRfc3339 } from './rfc3339.js'
import type { ProviderScope } from './usage-collector.js'

/** The slice of the topology the downtime collector needs. */
export interface DowntimeTopology {
  providersOfGroup(group: string): ReadonlySet<string>
  groupsOfEndpoint(hostname: string, service: string): ReadonlySet<string>
}

export interface DowntimeCollectorDeps {
  topology: DowntimeTopology
  /** The stored owners of existing downtime ids (a provider may only replace its own). */
  ownersOf(ids: readonly string[]): Promise<Map<string, readonly string[]>>
  version(): number
}

/** A downtime longer than this is a typo (or an attempt to erase a year of SLA figures). */
export const MAX_DOWNTIME_DAYS = 366

/**
 * Validates downtimes one by one (DESIGN §3.4). A provider token may only declare downtimes of
 * groups whose topology `provider` is in its scope — for an endpoint, of every group holding it —
 * and only replace downtime ids it owns; so what it covers must be in the topology. Admins may
 * declare downtimes for groups or endpoints the topology does not list yet.
 */
export async function collectDowntimes(
  body: ParsedBody,
  scope: ProviderScope,
  by: string,
  deps: DowntimeCollectorDeps,
): Promise<{ rows: DowntimeRow[]; rejected: Rejection[] }> {
  const ids = body.items.flatMap((i) => (i.ok && i.value && typeof i.value === 'object' && typeof (i.value as { downtime_id?: unknown }).downtime_id === 'string' ? [(i.value as { downtime_id: string }).downtime_id] : []))
  const owners = await deps.ownersOf(ids)
  const version = deps.version()
  const result = collect(body, (value): Outcome<DowntimeRow> => {
    const parsed = DowntimeInput.safeParse(value)
    if (!parsed.success) return { ok: false, errors: issueMessages(parsed.error) }
    const d = parsed.data
    const errors: string[] = []
    const start = parseRfc3339(d.start)
    const end = parseRfc3339(d.end)
    if (start === null) errors.push(`start: ${BAD_TIME}`)
    if (end === null) errors.push(`end: ${BAD_TIME}`)
    if (start !== null && end !== null) {
      if (start > end) errors.push('start: must not be after end')
      else if (end - start > MAX_DOWNTIME_DAYS * 86_400_000) errors.push(`end: a downtime may last at most ${MAX_DOWNTIME_DAYS} days`)
    }
    const groups = d.group !== undefined ? [d.group] : [...deps.topology.groupsOfEndpoint(d.hostname ?? '', d.service ?? '')]
    const providers = [...new Set(groups.flatMap((g) => [...deps.topology.providersOfGroup(g)]))].sort()
    if (scope !== '*') {
      const what = d.group !== undefined ? `group '${d.group}'` : `endpoint '${d.hostname}' / '${d.service}'`
      if (providers.length === 0) errors.push(`${d.group !== undefined ? 'group' : 'hostname'}: ${what} is not in the topology`)
      else if (!providers.every((p) => scope.has(p))) errors.push(`${d.group !== undefined ? 'group' : 'hostname'}: this token may not declare downtimes for ${what}`)
      const owner = owners.get(d.downtime_id)
      if (owner !== undefined && (owner.length === 0 || !owner.every((p) => scope.has(p)))) errors.push(`downtime_id: '${d.downtime_id}' belongs to another provider`)
    }
    if (errors.length || start === null || end === null) return { ok: false, errors }
    return {
      ok: true,
      row: {
        downtime_id: d.downtime_id,
        group: d.group ?? '',
        hostname: d.hostname ?? '',
        service: d.service ?? '',
        start,
        end,
        reason: d.reason ?? '',
        providers,
        created_by: by,
        deleted: 0,
        version,
      },
    }
  })
  // The same id twice in one request: the last one wins, as a re-send would.
  const last = new Map(result.rows.map((r) => [r.downtime_id, r]))
  return { rows: [...last.values()], rejected: result.rejected }
}

const BAD_TIME = 'must be an RFC 3339 timestamp with a real date, e.g. 2026-01-31T12:00:00Z'
