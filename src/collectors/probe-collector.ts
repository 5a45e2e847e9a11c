import type { ProbeStatus } from '../aggregators/availability/status.js'
import { collect, issueMessages, type Outcome, type Rejection } from './collect.js'
import type { ParsedBody } from './ingest-body.js'
import { PROBE_LIMITS, ProbeResultInput, SEVERITY, type ProbeRow } from './probe-result.schema.js'
import { parseRfc3339 } from './rfc3339.js'

/** A result stamped further ahead than this is refused: a probe box with a wrong clock would otherwise decide tomorrow's figures. */
export const MAX_FUTURE_MS = 10 * 60_000

export interface ProbeCollectorDeps {
  /** Is (hostname, service) in any topology version? Unknown endpoints are kept but reported. */
  isKnownEndpoint(hostname: string, service: string): boolean
  now(): number
}

/** An endpoint that is in no topology version; its results are stored (the topology may come later). */
export interface ProbeWarning {
  code: 'UNKNOWN_ENDPOINT'
  hostname: string
  service: string
  /** How many results of the request name it, and the index of the first. */
  count: number
  first_index: number
  message: string
}

const CONTROL = /[\u0000-\u001f\u007f]/
const IDENTS: Record<string, number> = { hostname: PROBE_LIMITS.hostname, service: PROBE_LIMITS.service, metric: PROBE_LIMITS.metric, monitoring_host: PROBE_LIMITS.monitoring_host }
const TEXTS: Record<string, number> = { summary: PROBE_LIMITS.summary, message: PROBE_LIMITS.message, actual_data: PROBE_LIMITS.actual_data }
const STATUS: Record<string, ProbeStatus> = { OK: 'OK', WARNING: 'WARNING', CRITICAL: 'CRITICAL', UNKNOWN: 'UNKNOWN', ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' }

/**
 * The hot path: accepts exactly the well-formed results `ProbeResultInput` accepts, without zod.
 * Anything else goes through the schema, which stays the authority and names the failing field.
 */
export function fastProbeResult(v: unknown): ProbeResultInput | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null
  const o = v as Record<string, unknown>
  for (const k in o) {
    const x = o[k]
    if (k === 'timestamp') {
      if (typeof x !== 'string' || x.length > 40) return null
    } else if (k === 'status') {
      if (typeof x !== 'string' || STATUS[x] === undefined) return null
    } else if (k === 'tags') {
      return null
    } else {
      const ident = IDENTS[k]
      if (ident !== undefined) {
        if (typeof x !== 'string' || x.length === 0 || x.length > ident || CONTROL.test(x)) return null
        continue
      }
      const text = TEXTS[k]
      if (text === undefined || typeof x !== 'string' || x.length > text) return null
    }
  }
  if (o.timestamp === undefined || o.hostname === undefined || o.service === undefined || o.metric === undefined || o.status === undefined) return null
  return o as ProbeResultInput
}

/**
 * Validates probe results one by one (DESIGN §3.4): bad ones are rejected with a reason, good
 * ones become `ProbeRow`s; results for endpoints no topology version knows are kept and reported
 * once per endpoint in `warnings`.
 */
export function collectProbeResults(body: ParsedBody, deps: ProbeCollectorDeps): { rows: ProbeRow[]; rejected: Rejection[]; warnings: ProbeWarning[] } {
  const now = deps.now()
  const unknown = new Map<string, ProbeWarning>()
  // collect() calls back for parsed items only; this maps each call back to its body index.
  const okIndexes = body.items.flatMap((item, i) => (item.ok ? [i] : []))
  let call = 0
  const { rows, rejected } = collect(body, (value): Outcome<ProbeRow> => {
    const index = okIndexes[call++] ?? -1
    let r = fastProbeResult(value)
    if (!r) {
      const parsed = ProbeResultInput.safeParse(value)
      if (!parsed.success) return { ok: false, errors: issueMessages(parsed.error) }
      r = parsed.data
    }
    const at = parseRfc3339(r.timestamp)
    if (at === null) return { ok: false, errors: ['timestamp: must be an RFC 3339 timestamp with a real date, e.g. 2026-01-31T12:00:00Z'] }
    if (at > now + MAX_FUTURE_MS) return { ok: false, errors: ['timestamp: is more than 10 minutes in the future'] }
    const status = STATUS[r.status] ?? (r.status.trim().toUpperCase() as ProbeStatus)
    if (!deps.isKnownEndpoint(r.hostname, r.service)) {
      const k = `${r.hostname}\u0000${r.service}`
      const w = unknown.get(k)
      if (w) w.count++
      else {
        unknown.set(k, {
          code: 'UNKNOWN_ENDPOINT',
          hostname: r.hostname,
          service: r.service,
          count: 1,
          first_index: index,
          message: 'stored, but no topology version has this endpoint: it counts in no figure until the topology lists it',
        })
      }
    }
    return {
      ok: true,
      row: {
        timestamp: at,
        hostname: r.hostname,
        service: r.service,
        metric: r.metric,
        monitoring_host: r.monitoring_host ?? '',
        status,
        severity: SEVERITY[status],
        summary: r.summary ?? '',
        message: r.message ?? '',
        actual_data: r.actual_data ?? '',
        received_at: now,
      },
    }
  })
  return { rows, rejected, warnings: [...unknown.values()] }
}
