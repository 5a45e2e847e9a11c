import { z } from 'zod'
import { EGI_OPS, OperationName, OperationsProfile } from './operations-profile.js'

/**
 * The SLA report definition of DESIGN §3.4, in ARGO's profile shapes (reference §1.1).
 * ARGO-shaped profiles are plain objects (extra ARGO fields such as `id`, `date`, `endpoint_group`
 * are dropped, so an exported ARGO profile can be pasted); the report itself and its thresholds
 * are strict, so a misspelt key is an error rather than a silently ignored setting.
 */
const Name = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')

/** service → the metrics that count for it. */
export const MetricProfile = z.record(Name, z.array(Name).min(1)).superRefine((profile, ctx) => {
  for (const [service, metrics] of Object.entries(profile)) {
    const dup = metrics.find((m, i) => metrics.indexOf(m) !== i)
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path: [service], message: `metric ${dup} is listed twice` })
  }
})
export type MetricProfile = z.infer<typeof MetricProfile>

const AggregationService = z.object({ name: Name, operation: OperationName })

/** A "function" of ARGO: a named group of services combined with `operation`. */
const AggregationGroup = z.object({ name: Name, operation: OperationName, services: z.array(AggregationService).min(1) })

export const AggregationProfile = z
  .object({
    metric_operation: OperationName,
    profile_operation: OperationName,
    groups: z.array(AggregationGroup).min(1),
  })
  .superRefine((profile, ctx) => {
    const functions = new Set<string>()
    // A service's timeline in an endpoint group is one timeline (its A/R row is keyed by group and
    // service, DESIGN §3.4), so a service listed under two functions needs one operation.
    const serviceOps = new Map<string, string>()
    profile.groups.forEach((fn, i) => {
      if (functions.has(fn.name)) ctx.addIssue({ code: 'custom', path: ['groups', i, 'name'], message: `duplicate group ${fn.name}` })
      functions.add(fn.name)
      const inThis = new Set<string>()
      fn.services.forEach((service, j) => {
        const path = ['groups', i, 'services', j]
        if (inThis.has(service.name)) ctx.addIssue({ code: 'custom', path, message: `service ${service.name} is listed twice in ${fn.name}` })
        inThis.add(service.name)
        const op = serviceOps.get(service.name)
        if (op !== undefined && op !== service.operation) {
          ctx.addIssue({ code: 'custom', path: [...path, 'operation'], message: `service ${service.name} is combined with ${op} elsewhere` })
        }
        serviceOps.set(service.name, service.operation)
      })
    })
  })
export type AggregationProfile = z.infer<typeof AggregationProfile>

/** Percent targets everywhere (Decision 14). */
const Percent = z.number().finite().min(0).max(100)

/** EGI's monthly OLA (Decision 9; argo-web-api `app/reports/model.go`). */
export const DEFAULT_THRESHOLDS = { availability: 80, reliability: 85, uptime: 80, unknown: 10, downtime: 10 } as const

export const Thresholds = z.strictObject({
  availability: Percent.default(DEFAULT_THRESHOLDS.availability),
  reliability: Percent.default(DEFAULT_THRESHOLDS.reliability),
  uptime: Percent.default(DEFAULT_THRESHOLDS.uptime),
  unknown: Percent.default(DEFAULT_THRESHOLDS.unknown),
  downtime: Percent.default(DEFAULT_THRESHOLDS.downtime),
})
export type Thresholds = z.infer<typeof Thresholds>

/** Body of `PUT /v1/sla-reports/{name}` (DESIGN §3.4). */
export const SlaReport = z
  .strictObject({
    /** Endpoint groups in the report; absent = every group of the topology. */
    groups: z.array(Name).min(1).optional(),
    metric_profile: MetricProfile,
    aggregation_profile: AggregationProfile,
    operations_profile: OperationsProfile.default(EGI_OPS),
    thresholds: Thresholds.prefault({}),
  })
  .superRefine((report, ctx) => {
    const defined = new Set(report.operations_profile.operations.map((op) => op.name))
    const check = (name: string, path: (string | number)[]) => {
      if (!defined.has(name)) ctx.addIssue({ code: 'custom', path, message: `operation ${name} is not in the operations profile` })
    }
    const ap = report.aggregation_profile
    check(ap.metric_operation, ['aggregation_profile', 'metric_operation'])
    check(ap.profile_operation, ['aggregation_profile', 'profile_operation'])
    ap.groups.forEach((fn, i) => {
      check(fn.operation, ['aggregation_profile', 'groups', i, 'operation'])
      fn.services.forEach((service, j) => {
        const path = ['aggregation_profile', 'groups', i, 'services', j]
        check(service.operation, [...path, 'operation'])
        // ARGO would silently leave such a service out of every figure (it expects no metric);
        // in a per-report profile that is a mistake worth refusing.
        if (report.metric_profile[service.name] === undefined) {
          ctx.addIssue({ code: 'custom', path: [...path, 'name'], message: `service ${service.name} has no metrics in metric_profile` })
        }
      })
    })
  })
export type SlaReport = z.infer<typeof SlaReport>
/** What a caller writes (defaults not yet applied). */
export type SlaReportInput = z.input<typeof SlaReport>
