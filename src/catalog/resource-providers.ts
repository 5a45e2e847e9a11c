import type { ResourceAliases } from './resource-aliases.js'

/**
 * The structural slice of the monitoring topology this needs (src/monitoring/topology-store.ts):
 * versions oldest first, each with groups that may name their resource and always their provider.
 */
export interface TopologySource {
  refresh(): Promise<void>
  list(): readonly { version: { groups: readonly { resource?: string | undefined; provider: string }[] } }[]
}

/** Resource → provider, as parallel arrays for SQL `transform` (query parameters). */
export interface ProviderMap {
  pids: string[]
  providers: string[]
}

export interface ResourceProviders {
  map(): Promise<ProviderMap>
}

/**
 * Who owns a resource (DESIGN §3.5: "the resource's provider, from the topology"): the latest
 * topology version naming the resource wins; a provider declared with the resource's aliases
 * covers resources the topology does not name. Resource names are canonicalised through the aliases.
 */
export function createResourceProviders(deps: { aliases: ResourceAliases; topology?: TopologySource }): ResourceProviders {
  return {
    async map() {
      await Promise.all([deps.aliases.ensureFresh(), deps.topology?.refresh()])
      const byPid = new Map<string, string>()
      for (const [pid, provider] of deps.aliases.declaredProviders()) byPid.set(pid, provider)
      const versions = deps.topology?.list() ?? []
      const latest = versions[versions.length - 1]
      // Oldest first within the latest version: the first group naming a resource decides.
      const fromTopology = new Map<string, string>()
      for (const g of latest?.version.groups ?? []) {
        if (!g.resource) continue
        const pid = deps.aliases.canonical(g.resource)
        if (!fromTopology.has(pid)) fromTopology.set(pid, g.provider)
      }
      for (const [pid, provider] of fromTopology) byPid.set(pid, provider)
      return { pids: [...byPid.keys()], providers: [...byPid.values()] }
    },
  }
}
