import type { OrderState } from './order-types.js'

export interface ResourceLookups {
  /** The catalogue PID an alias (legacy id, service name, PID) stands for, or null when unknown. */
  resolveAlias(alias: string): string | null
  /** The provider owning a resource according to the topology, or null. */
  providerOf(resourcePid: string): string | null
}

export interface OrderResource {
  resource: string | null
  provider: string | null
  via: 'oms_params' | 'alias' | 'unresolved'
}

/**
 * A project item names no PID (reference §2.2, G1): its resource is `oms_params.resource_pid`
 * when the offer defines it (canonicalised through the aliases, since it may be a legacy id),
 * else its service name resolved through the aliases. Resolution runs at read/link time, not at
 * intake, so aliases registered after the order arrived still apply. The provider is the
 * resource's provider from the topology, else the offer's `oms_params.provider`.
 */
export function resolveOrderResource(
  order: Pick<OrderState, 'resource_pid' | 'service_name' | 'provider'>,
  lookups: ResourceLookups,
): OrderResource {
  let resource: string | null = null
  let via: OrderResource['via'] = 'unresolved'
  if (order.resource_pid !== null) {
    resource = lookups.resolveAlias(order.resource_pid) ?? order.resource_pid
    via = 'oms_params'
  } else if (order.service_name !== null) {
    resource = lookups.resolveAlias(order.service_name)
    if (resource !== null) via = 'alias'
  }
  const provider = (resource !== null ? lookups.providerOf(resource) : null) ?? order.provider
  return { resource, provider, via }
}
