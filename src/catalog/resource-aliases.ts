import { z } from 'zod'
import type { VersionClock } from '../collectors/version-clock.js'
import type { Store } from '../platform/clickhouse/store.js'
import { AppError } from '../platform/errors.js'

/** A catalogue PID: printable ASCII, at most 255 characters (resource-catalogue `ResourceIdCreator`). */
export const RESOURCE_PID = /^[\x21-\x7e]{1,255}$/
/** Aliases may be service names ("Example Cloud", non-ASCII too), but never control characters. */
export const RESOURCE_ALIAS = /^[^\u0000-\u001f\u007f]{1,256}$/

export interface ResourceEntry {
  pid: string
  aliases: string[]
  /** The provider owning the resource, as the operator declared it; null when not declared. */
  provider: string | null
}

const Row = z.object({ pid: z.string(), aliases: z.array(z.string()), provider: z.string() })
const DEFAULT_REFRESH_MS = 5_000

/**
 * Resource aliases (DESIGN §3.5): legacy ids, service names and older PIDs → one canonical PID.
 * Read through an in-memory copy refreshed every few seconds (checked at every use where other
 * processes register aliases too), so aliases registered by another process are picked up. One
 * level only: an alias never names a PID that has aliases itself, and a PID is never another one's
 * alias, so resolution is a single lookup.
 */
export class ResourceAliases {
  private byAlias = new Map<string, string>()
  private byPid = new Map<string, ResourceEntry>()
  private loadedAt = Number.NEGATIVE_INFINITY
  private version = 0
  private tail: Promise<unknown> = Promise.resolve()
  /** Changes whenever the aliases may have: copies (the intake workers') compare it. */
  revision = 0

  constructor(
    private readonly store: Store,
    private readonly clock: VersionClock,
    /** `shared`: other processes register aliases too (a ClickHouse server): every use asks whether one did. */
    private readonly opts: { refreshMs?: number; now?: () => number; shared?: boolean } = {},
  ) {}

  async load(): Promise<void> {
    // The version first: aliases written meanwhile are then seen by the next check.
    const version = await this.store.latestVersion('resource_aliases')
    const rows = await this.store.query('SELECT pid, aliases, provider FROM resource_aliases FINAL ORDER BY pid', {}, Row)
    const byPid = new Map<string, ResourceEntry>()
    const byAlias = new Map<string, string>()
    for (const r of rows) {
      if (r.aliases.length === 0 && r.provider === '') continue
      byPid.set(r.pid, { pid: r.pid, aliases: r.aliases, provider: r.provider || null })
      for (const a of r.aliases) byAlias.set(a, r.pid)
    }
    this.byPid = byPid
    if (!sameEntries(this.byAlias, byAlias)) this.revision++
    this.byAlias = byAlias
    this.version = version
    this.loadedAt = this.now()
  }

  /**
   * Reloads when the copy is older than the refresh interval. Shared, every call asks whether
   * another process registered aliases since (one small query) and reloads if so: a record naming
   * an alias registered a moment before through another instance is stored under the PID, not
   * under the alias after that registration moved the usage already stored.
   */
  async ensureFresh(): Promise<void> {
    if (this.opts.shared) {
      if ((await this.store.latestVersion('resource_aliases')) !== this.version) await this.load()
    } else if (this.now() - this.loadedAt >= (this.opts.refreshMs ?? DEFAULT_REFRESH_MS)) await this.load()
  }


  /** The canonical PID for a resource name: its PID when it is a registered alias, else itself. */
  canonical(resource: string): string {
    return this.byAlias.get(resource) ?? resource
  }

  /** (alias, canonical PID) pairs. */
  entries(): Iterable<[string, string]> {
    return this.byAlias.entries()
  }

  /** For `resolveOrderResource`: the PID an alias stands for, or null when it is no alias. */
  resolveAlias(alias: string): string | null {
    return this.byAlias.get(alias) ?? null
  }

  /** (pid, provider) for every resource whose provider the operator declared. */
  *declaredProviders(): Iterable<[string, string]> {
    for (const e of this.byPid.values()) if (e.provider !== null) yield [e.pid, e.provider]
  }

  get(pid: string): ResourceEntry {
    return this.byPid.get(pid) ?? { pid, aliases: [], provider: null }
  }

  /**
   * Replaces the aliases (and declared provider) of `pid`. Refuses, changing nothing, an alias that
   * already belongs to another PID or is itself a PID with aliases, and a `pid` that is an alias.
   * Returns the aliases that are new for this PID (stored usage under them is re-keyed by the caller).
   */
  put(pid: string, aliases: readonly string[], provider: string | null): Promise<{ entry: ResourceEntry; added: string[] }> {
    const run = this.tail.then(async () => {
      await this.load()
      const wanted = [...new Set(aliases.map((a) => a.trim()))].filter((a) => a !== pid).sort()
      const conflicts: { alias: string; reason: string }[] = []
      const ownerOfPid = this.byAlias.get(pid)
      if (ownerOfPid !== undefined) conflicts.push({ alias: pid, reason: `'${pid}' is already an alias of '${ownerOfPid}'` })
      for (const a of wanted) {
        const owner = this.byAlias.get(a)
        if (owner !== undefined && owner !== pid) conflicts.push({ alias: a, reason: `already an alias of '${owner}'` })
        else if (this.byPid.has(a)) conflicts.push({ alias: a, reason: `'${a}' is a resource with aliases of its own` })
      }
      if (conflicts.length) {
        throw new AppError(409, 'ALIAS_CONFLICT', conflicts.map((c) => `${c.alias}: ${c.reason}`).join('; '), conflicts)
      }
      const before = new Set(this.get(pid).aliases)
      await this.store.insertNdjson(
        'resource_aliases',
        JSON.stringify({ pid, aliases: wanted, provider: provider ?? '', updated_at: Date.now(), version: this.clock.next() }),
      )
      await this.load()
      return { entry: this.get(pid), added: wanted.filter((a) => !before.has(a)) }
    })
    this.tail = run.catch(() => undefined)
    return run
  }

  private now(): number {
    return (this.opts.now ?? Date.now)()
  }
}

function sameEntries(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

/**
 * SQL scalar for server-side resolution, always as fresh as the table: `(aliases, pids)` as a
 * pair of arrays, for `transform(name, amap.1, amap.2, default)`.
 */
export const ALIAS_MAP_SQL = '(SELECT (groupArray(alias), groupArray(pid)) FROM (SELECT pid, arrayJoin(aliases) AS alias FROM resource_aliases FINAL))'
