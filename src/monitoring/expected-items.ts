import { compileProfile } from '../aggregators/availability/levels.js'
import type { SlaReport } from '../aggregators/availability/profiles.js'
import type { TopologyIndex } from './topology-store.js'

/** An item of a level: its group, and service / hostname where the level has them ('' otherwise). */
export interface Item {
  readonly group: string
  readonly service: string
  readonly hostname: string
}

export interface ExpectedItems {
  readonly group: ReadonlyMap<string, Item>
  readonly service: ReadonlyMap<string, Item>
  readonly endpoint: ReadonlyMap<string, Item>
}

export const itemKey = (i: Item) => `${i.group}\u0000${i.service}\u0000${i.hostname}`

/**
 * The items a report has on a day under a topology version, as computeDay produces them: groups
 * with at least one endpoint of a service the profiles monitor, those services, those endpoints.
 * A day whose computation is missing is then visible as such (Decision 7) instead of vanishing.
 */
export function expectedItems(report: SlaReport, topology: TopologyIndex | undefined): ExpectedItems {
  const profile = compileProfile(report)
  const inReport = report.groups === undefined ? undefined : new Set(report.groups)
  const group = new Map<string, Item>()
  const service = new Map<string, Item>()
  const endpoint = new Map<string, Item>()
  for (const e of topology?.flat ?? []) {
    if (inReport !== undefined && !inReport.has(e.group)) continue
    if ((profile.metricsByService.get(e.service) ?? []).length === 0) continue
    const items: [Map<string, Item>, Item][] = [
      [group, { group: e.group, service: '', hostname: '' }],
      [service, { group: e.group, service: e.service, hostname: '' }],
      [endpoint, { group: e.group, service: e.service, hostname: e.hostname }],
    ]
    for (const [map, item] of items) map.set(itemKey(item), item)
  }
  return { group, service, endpoint }
}

/** Memoised per (report definition, topology version): both are immutable objects. */
export class ExpectedItemsCache {
  private readonly cache = new WeakMap<SlaReport, WeakMap<TopologyIndex, ExpectedItems>>()
  private readonly none = new WeakMap<SlaReport, ExpectedItems>()

  get(report: SlaReport, topology: TopologyIndex | undefined): ExpectedItems {
    if (topology === undefined) {
      let items = this.none.get(report)
      if (items === undefined) this.none.set(report, (items = expectedItems(report, undefined)))
      return items
    }
    let byTopology = this.cache.get(report)
    if (byTopology === undefined) this.cache.set(report, (byTopology = new WeakMap()))
    let items = byTopology.get(topology)
    if (items === undefined) byTopology.set(topology, (items = expectedItems(report, topology)))
    return items
  }
}
