import { z } from 'zod'
import type { TopologyEndpoint as FlatEndpoint } from '../aggregators/availability/compute-day.js'
import type { Store } from '../platform/clickhouse/store.js'
import type { VersionClock } from '../collectors/version-clock.js'
import { TopologyGroup, type TopologyInput, type TopologyVersion } from './topology.schema.js'

const key = (hostname: string, service: string) => `${hostname}\u0000${service}`

/** One topology version, indexed for the lookups the collectors and the computation make. */
export class TopologyIndex {
  readonly groups: ReadonlyMap<string, TopologyGroup>
  /** Flat (group, hostname, service) rows, as computeDay takes them. */
  readonly flat: readonly FlatEndpoint[]
  private readonly endpointGroups = new Map<string, string[]>()

  constructor(readonly version: TopologyVersion) {
    this.groups = new Map(version.groups.map((g) => [g.group, g]))
    const flat: FlatEndpoint[] = []
    for (const g of version.groups) {
      for (const e of g.endpoints) {
        flat.push({ group: g.group, hostname: e.hostname, service: e.service })
        const k = key(e.hostname, e.service)
        const list = this.endpointGroups.get(k) ?? []
        list.push(g.group)
        this.endpointGroups.set(k, list)
      }
    }
    this.flat = flat
  }

  get date(): string {
    return this.version.date
  }

  groupsOf(hostname: string, service: string): readonly string[] {
    return this.endpointGroups.get(key(hostname, service)) ?? []
  }
}

const Row = z.object({ date: z.string(), body: z.string() })
/** How long versions are trusted before the store is asked whether another process wrote one. */
const REFRESH_MS = 5000

/**
 * Topology versions (DESIGN §3.4): a day uses the latest version dated on or before it, and days
 * before the first version use the first, so results pushed for past days are computed against
 * the topology there is. Held in memory (a topology is thousands of endpoints, not millions);
 * `refresh()` picks up versions written by another process.
 */
export class TopologyStore {
  private versions: TopologyIndex[] = []
  /** Across every version: hostname → service → the groups holding that endpoint (no key strings to build on the ingest path). */
  private endpointGroups = new Map<string, Map<string, Set<string>>>()
  private groupProviders = new Map<string, Set<string>>()
  private loadedAt = 0
  private version = 0

  constructor(
    private readonly store: Store,
    private readonly clock: VersionClock,
  ) {}

  async load(): Promise<void> {
    // The version first: a version written meanwhile is then seen by the next refresh.
    const version = await this.store.latestVersion('topology_versions')
    const rows = await this.store.query('SELECT date, body FROM topology_versions FINAL ORDER BY date', {}, Row)
    this.version = version
    this.versions = rows.map((r) => new TopologyIndex({ date: r.date, groups: z.array(TopologyGroup).parse(JSON.parse(r.body)) }))
    const endpointGroups = new Map<string, Map<string, Set<string>>>()
    const groupProviders = new Map<string, Set<string>>()
    for (const v of this.versions) {
      for (const g of v.version.groups) {
        const providers = groupProviders.get(g.group) ?? new Set<string>()
        providers.add(g.provider)
        groupProviders.set(g.group, providers)
        for (const e of g.endpoints) {
          let services = endpointGroups.get(e.hostname)
          if (services === undefined) endpointGroups.set(e.hostname, (services = new Map()))
          let groups = services.get(e.service)
          if (groups === undefined) services.set(e.service, (groups = new Set()))
          groups.add(g.group)
        }
      }
    }
    this.endpointGroups = endpointGroups
    this.groupProviders = groupProviders
    this.loadedAt = Date.now()
  }

  /**
   * Reloads when another process has written a version: checked at most every few seconds, and at
   * once unless what the caller needs is `known` here (an endpoint or group just added through
   * another instance).
   */
  async refresh(known: () => boolean = () => true): Promise<void> {
    if (Date.now() - this.loadedAt < REFRESH_MS && known()) return
    if ((await this.store.latestVersion('topology_versions')) !== this.version) await this.load()
    else this.loadedAt = Date.now()
  }

  /**
   * Stores a version and returns the days whose topology changed: from its date up to the day
   * before the next version (`until` undefined = open ended); `from` undefined when it is now the
   * first version, which also applies to every day before it.
   */
  async put(input: TopologyInput, date: string, by: string): Promise<{ from: string | undefined; until: string | undefined }> {
    await this.store.command(
      `INSERT INTO topology_versions (date, body, created_by, created_at, version)
       VALUES ({date:Date}, {body:String}, {by:String}, now64(3), {version:UInt64})`,
      { date, body: JSON.stringify(input.groups), by, version: this.clock.next() },
    )
    await this.load()
    const first = this.versions[0]?.date === date
    const next = this.versions.find((v) => v.date > date)
    return { from: first ? undefined : date, until: next === undefined ? undefined : previousDay(next.date) }
  }

  /** The version in force on a day, or undefined when there is no topology at all. */
  at(day: string): TopologyIndex | undefined {
    let found: TopologyIndex | undefined
    for (const v of this.versions) {
      if (v.date <= day) found = v
      else break
    }
    return found ?? this.versions[0]
  }

  list(): readonly TopologyIndex[] {
    return this.versions
  }

  /** Groups an endpoint belongs to in any version (an over-approximation is harmless where it is used). */
  groupsOfEndpoint(hostname: string, service: string): ReadonlySet<string> {
    return this.endpointGroups.get(hostname)?.get(service) ?? EMPTY
  }

  isKnownEndpoint(hostname: string, service: string): boolean {
    return this.endpointGroups.get(hostname)?.has(service) ?? false
  }

  /** Whether what a pushed item (a probe result or downtime, as sent) names is here: its group, else its endpoint. */
  holdsTarget(value: unknown): boolean {
    const d = (value ?? {}) as { group?: unknown; hostname?: unknown; service?: unknown }
    return typeof d.group === 'string' ? this.providersOfGroup(d.group).size > 0 : this.isKnownEndpoint(String(d.hostname), String(d.service))
  }

  /** The providers a group belongs to, in any version. */
  providersOfGroup(group: string): ReadonlySet<string> {
    return this.groupProviders.get(group) ?? EMPTY
  }

  isKnownGroup(group: string): boolean {
    return this.groupProviders.has(group)
  }

  /** Every group that one of the providers owns (in any version). */
  groupsOfProviders(providers: readonly string[]): Set<string> {
    const wanted = new Set(providers)
    const groups = new Set<string>()
    for (const [group, owners] of this.groupProviders) if ([...owners].some((p) => wanted.has(p))) groups.add(group)
    return groups
  }
}

const EMPTY: ReadonlySet<string> = new Set()

export function previousDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)
}

export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
}
