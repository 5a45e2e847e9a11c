import { applyDowntimes } from './downtimes.js'
import { compileOperations, operation, type TruthTable } from './operations-profile.js'
import type { SlaReport } from './profiles.js'
import { fold, type Timeline, type Window } from './timeline.js'

/**
 * The hierarchy of Decision 3 (reference §1.2 steps 6–9): metric → endpoint (`metric_operation`)
 * → downtime → service in a group (the service's `operation` over its endpoints) → function
 * (the aggregation-profile group's `operation` over its services) → endpoint group
 * (`profile_operation` over its functions).
 */
export interface CompiledProfile {
  readonly metricOperation: TruthTable
  readonly profileOperation: TruthTable
  /** The metrics that count for each service of the aggregation profile, in metric-profile order. */
  readonly metricsByService: ReadonlyMap<string, readonly string[]>
  readonly serviceOperation: ReadonlyMap<string, TruthTable>
  readonly functions: readonly { readonly name: string; readonly operation: TruthTable; readonly services: readonly string[] }[]
}

export function compileProfile(report: Pick<SlaReport, 'metric_profile' | 'aggregation_profile' | 'operations_profile'>): CompiledProfile {
  const ops = compileOperations(report.operations_profile)
  const ap = report.aggregation_profile
  const serviceOperation = new Map<string, TruthTable>()
  const metricsByService = new Map<string, readonly string[]>()
  for (const fn of ap.groups) {
    for (const service of fn.services) {
      serviceOperation.set(service.name, operation(ops, service.operation))
      metricsByService.set(service.name, report.metric_profile[service.name] ?? [])
    }
  }
  return {
    metricOperation: operation(ops, ap.metric_operation),
    profileOperation: operation(ops, ap.profile_operation),
    metricsByService,
    serviceOperation,
    functions: ap.groups.map((fn) => ({ name: fn.name, operation: operation(ops, fn.operation), services: fn.services.map((s) => s.name) })),
  }
}

/** One endpoint of a group with the timelines of its expected metrics and its downtime windows. */
export interface EndpointMetrics {
  readonly hostname: string
  readonly service: string
  readonly metrics: readonly Timeline[]
  readonly downtimes: readonly Window[]
}

export interface GroupTimelines {
  readonly endpoints: readonly { readonly hostname: string; readonly service: string; readonly timeline: Timeline }[]
  readonly services: readonly { readonly service: string; readonly timeline: Timeline }[]
  readonly functions: readonly { readonly function: string; readonly timeline: Timeline }[]
  /** Undefined when none of the profile's functions has a service in the group. */
  readonly group: Timeline | undefined
}

/**
 * Combines one endpoint group's levels. A service without endpoints in the group is left out of
 * its function, and a function without any service in the group is left out of the group
 * (Decision 12); a function whose services exist but report nothing comes out MISSING, because
 * their metrics are MISSING (Decision 4). Endpoints are folded in (service, hostname) order and
 * services and functions in profile order, so a non-associative custom table gives stable results.
 */
export function aggregateGroup(profile: CompiledProfile, endpoints: readonly EndpointMetrics[]): GroupTimelines {
  const endpointTimelines = [...endpoints]
    .sort((a, b) => compareNames(a.service, b.service) || compareNames(a.hostname, b.hostname))
    .flatMap((e) => {
      const combined = fold(profile.metricOperation, e.metrics)
      return combined === undefined ? [] : [{ hostname: e.hostname, service: e.service, timeline: applyDowntimes(combined, e.downtimes) }]
    })

  const services = new Map<string, Timeline>()
  for (const [service, op] of profile.serviceOperation) {
    const timeline = fold(op, endpointTimelines.filter((e) => e.service === service).map((e) => e.timeline))
    if (timeline !== undefined) services.set(service, timeline)
  }

  const functions = profile.functions.flatMap((fn) => {
    const present = fn.services.flatMap((s) => {
      const timeline = services.get(s)
      return timeline === undefined ? [] : [timeline]
    })
    const timeline = fold(fn.operation, present)
    return timeline === undefined ? [] : [{ function: fn.name, timeline }]
  })

  return {
    endpoints: endpointTimelines,
    services: [...services].map(([service, timeline]) => ({ service, timeline })),
    functions,
    group: fold(profile.profileOperation, functions.map((f) => f.timeline)),
  }
}

/** Code-unit order: stable across locales, unlike localeCompare. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
