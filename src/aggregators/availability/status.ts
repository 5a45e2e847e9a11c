/**
 * Status names (reference §1.1, §2). Probes report the four Nagios states; the engine adds
 * MISSING (no data), DOWNTIME (scheduled downtime) and EXCLUDED (a recomputation's identity state).
 */
export const PROBE_STATUSES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const
export type ProbeStatus = (typeof PROBE_STATUSES)[number]

/** The states of an operations profile: every truth table is defined over exactly these (§2). */
export const PROFILE_STATUSES = ['OK', 'WARNING', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'] as const
export type ProfileStatus = (typeof PROFILE_STATUSES)[number]

/** EXCLUDED is outside the truth tables: it is the identity of every operation (§1.4 step 3). */
export const STATUSES = [...PROFILE_STATUSES, 'EXCLUDED'] as const
export type Status = (typeof STATUSES)[number]

const PROBE_SET: ReadonlySet<string> = new Set(PROBE_STATUSES)
const STATUS_SET: ReadonlySet<string> = new Set(STATUSES)

/** Probe statuses are case-insensitive on input (DESIGN §3.4); anything else is not a probe status. */
export function parseProbeStatus(text: string): ProbeStatus | undefined {
  const upper = text.trim().toUpperCase()
  return PROBE_SET.has(upper) ? (upper as ProbeStatus) : undefined
}

/** Any engine status, e.g. when reading materialised timelines back. */
export function parseStatus(text: string): Status | undefined {
  const upper = text.trim().toUpperCase()
  return STATUS_SET.has(upper) ? (upper as Status) : undefined
}

/**
 * Order used only to pick one of several results of one metric stamped with the same second
 * (ARGO keeps whichever it read last, which depends on input order): the worst one wins, ranked
 * as egi_ops AND ranks them (§2), so the outcome never depends on the order of SQL rows.
 */
const SAME_SECOND_RANK: Readonly<Record<ProbeStatus, number>> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 }

export function compareSeverity(a: ProbeStatus, b: ProbeStatus): number {
  return SAME_SECOND_RANK[a] - SAME_SECOND_RANK[b]
}
