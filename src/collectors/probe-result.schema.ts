import { z } from 'zod'
import { PROBE_STATUSES, type ProbeStatus } from '../aggregators/availability/status.js'

const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/
const ident = (max: number) => z.string().min(1).max(max).regex(NO_CONTROL, 'must not contain control characters')

export const PROBE_LIMITS = { hostname: 256, service: 256, metric: 256, monitoring_host: 256, summary: 4096, message: 65_536, actual_data: 4096 } as const

/**
 * A probe result as a monitoring engine sends it (DESIGN §3.4; ARGO's metric data). `status` is
 * one of OK, WARNING, CRITICAL, UNKNOWN in any case; anything else is refused, because a status
 * the A/R rules do not know cannot be given a meaning afterwards. ARGO's `tags` are accepted and
 * ignored; other unknown fields are refused so a typo never drops data silently.
 */
export const ProbeResultInput = z.strictObject({
  timestamp: z.string().max(40),
  hostname: ident(PROBE_LIMITS.hostname),
  service: ident(PROBE_LIMITS.service),
  metric: ident(PROBE_LIMITS.metric),
  status: z
    .string()
    .max(16)
    .refine((s) => PROBE_SET.has(s.trim().toUpperCase()), `must be one of ${PROBE_STATUSES.join(', ')} (any case)`),
  monitoring_host: ident(PROBE_LIMITS.monitoring_host).optional(),
  summary: z.string().max(PROBE_LIMITS.summary).optional(),
  message: z.string().max(PROBE_LIMITS.message).optional(),
  actual_data: z.string().max(PROBE_LIMITS.actual_data).optional(),
  tags: z.record(z.string().max(256), z.string().max(1024)).optional(),
})
export type ProbeResultInput = z.infer<typeof ProbeResultInput>

const PROBE_SET: ReadonlySet<string> = new Set(PROBE_STATUSES)

/**
 * Rank of the worst status of one metric in one second (the core's `compareSeverity`): the raw
 * table keeps the highest when one result key is stored twice with different statuses.
 */
export const SEVERITY: Readonly<Record<ProbeStatus, number>> = { OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3 }
export const STATUS_OF_SEVERITY: readonly ProbeStatus[] = ['OK', 'WARNING', 'UNKNOWN', 'CRITICAL']

const epochMs = z.number().int().min(0).max(7_258_118_400_000)

/** A validated probe result as it travels on the bus and lands in `probe_results`. Plain JSON. */
export const ProbeRow = z.strictObject({
  timestamp: epochMs,
  hostname: z.string().min(1).max(PROBE_LIMITS.hostname),
  service: z.string().min(1).max(PROBE_LIMITS.service),
  metric: z.string().min(1).max(PROBE_LIMITS.metric),
  monitoring_host: z.string().max(PROBE_LIMITS.monitoring_host),
  status: z.enum(PROBE_STATUSES),
  severity: z.number().int().min(0).max(3),
  summary: z.string().max(PROBE_LIMITS.summary),
  message: z.string().max(PROBE_LIMITS.message),
  actual_data: z.string().max(PROBE_LIMITS.actual_data),
  received_at: epochMs,
}).refine((r) => SEVERITY[r.status] === r.severity, { message: 'severity does not match status', path: ['severity'] })
export type ProbeRow = z.infer<typeof ProbeRow>
