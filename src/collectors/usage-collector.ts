import type { Pseudonymiser } from '../privacy/pseudonymiser.js'
import { collect, issueMessages, type Outcome, type Rejection } from './collect.js'
import type { ParsedBody } from './ingest-body.js'
import { parseRfc3339 } from './rfc3339.js'
import { fastUsageRecord } from './usage-record.fast-check.js'
import { UsageRecordInput, type UsageRow } from './usage-record.schema.js'

export interface UsageCollectorDeps {
  isKnownMetric: (id: string) => boolean
  pseudonymiser: Pick<Pseudonymiser, 'pseudonymise'>
  /** Resource aliases resolved at ingest, so pre-aggregates key on the canonical PID (see README, Orders). */
  canonical: (resource: string) => string
}

/** Providers this caller may write: `'*'` for admins. */
export type ProviderScope = '*' | ReadonlySet<string>

/**
 * Validates usage records and turns them into pseudonymised rows. The raw `user` never leaves this
 * function: only its keyed pseudonym goes into the row.
 */
export function collectUsage(body: ParsedBody, scope: ProviderScope, version: number, deps: UsageCollectorDeps): { rows: UsageRow[]; rejected: Rejection[] } {
  return collect(body, (value): Outcome<UsageRow> => {
    let r = fastUsageRecord(value)
    if (!r) {
      const parsed = UsageRecordInput.safeParse(value)
      if (!parsed.success) {
        // Every problem at once: the shape's, and those of the fields that do have their type.
        const shapeErrors = issueMessages(parsed.error)
        const failed = new Set(parsed.error.issues.map((i) => String(i.path[0])))
        return { ok: false, errors: [...shapeErrors, ...contextErrors(stringFields(value, failed), scope, deps).errors] }
      }
      r = parsed.data
    }
    const { errors, start, end } = contextErrors(r, scope, deps)
    if (errors.length || start === null || end === null) return { ok: false, errors }
    // Accounted just before `end`: a day-long record ending at midnight belongs to that day.
    const at = end > start ? end - 1 : end
    return {
      ok: true,
      row: {
        provider: r.provider,
        record_id: r.record_id,
        resource: deps.canonical(r.resource),
        metric: r.metric,
        value: r.value,
        start,
        end,
        at,
        // With a keyring, the key of the period the usage is accounted in.
        user_id: r.user === undefined ? '' : deps.pseudonymiser.pseudonymise(r.user, at),
        user_group: r.group ?? '',
        order_ref: r.order ?? '',
        installation: r.installation ?? '',
        version,
      },
    }
  })
}

const BAD_TIME = 'must be an RFC 3339 timestamp with a real date, e.g. 2026-01-31T12:00:00Z'

type ContextFields = Partial<Pick<UsageRecordInput, 'start' | 'end' | 'provider' | 'metric'>>

/** What the schema cannot know: real dates in order, a provider this token may write, a known metric. */
function contextErrors(r: ContextFields, scope: ProviderScope, deps: UsageCollectorDeps): { errors: string[]; start: number | null; end: number | null } {
  const errors: string[] = []
  const start = r.start === undefined ? null : parseRfc3339(r.start)
  const end = r.end === undefined ? null : parseRfc3339(r.end)
  if (r.start !== undefined && start === null) errors.push(`start: ${BAD_TIME}`)
  if (r.end !== undefined && end === null) errors.push(`end: ${BAD_TIME}`)
  if (start !== null && end !== null && start > end) errors.push('start: must not be after end')
  if (r.provider !== undefined && scope !== '*' && !scope.has(r.provider)) errors.push(`provider: this token may not write provider '${r.provider}'`)
  if (r.metric !== undefined && !deps.isKnownMetric(r.metric)) errors.push(`metric: '${r.metric}' is not a registered metric definition`)
  return { errors, start, end }
}

/** The context fields of a record the schema refused, where they are strings the schema did not fault. */
function stringFields(value: unknown, failed: ReadonlySet<string>): ContextFields {
  const out: ContextFields = {}
  if (value === null || typeof value !== 'object') return out
  for (const k of ['start', 'end', 'provider', 'metric'] as const) {
    const v = (value as Record<string, unknown>)[k]
    if (typeof v === 'string' && !failed.has(k)) out[k] = v
  }
  return out
}
