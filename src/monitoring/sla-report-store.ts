import { z } from 'zod'
import { SlaReport, type SlaReportInput } from '../aggregators/availability/profiles.js'
import type { VersionClock } from '../collectors/version-clock.js'
import type { Store } from '../platform/clickhouse/store.js'

/** Report names appear in URLs and table keys: a conservative alphabet. */
export const REPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

export interface StoredReport {
  readonly name: string
  readonly definition: SlaReport
  readonly updated_at: string
}

/** How long definitions are trusted before the store is asked whether another process changed one. */
const REFRESH_MS = 5000

const Row = z.object({ name: z.string(), body: z.string(), updated_at: z.string() })

/** SLA report definitions (DESIGN §3.4), held in memory: a handful of small documents. */
export class SlaReportStore {
  private reports = new Map<string, StoredReport>()
  private loadedAt = 0
  private version = 0

  constructor(
    private readonly store: Store,
    private readonly clock: VersionClock,
  ) {}

  async load(): Promise<void> {
    // The version first: a definition written meanwhile is then seen by the next refresh.
    const version = await this.store.latestVersion('sla_reports')
    const rows = await this.store.query(
      `SELECT name, body, formatDateTime(updated_at, '%Y-%m-%dT%H:%i:%SZ', 'UTC') AS updated_at FROM sla_reports FINAL ORDER BY name`,
      {},
      Row,
    )
    this.reports = new Map(rows.map((r) => [r.name, { name: r.name, definition: SlaReport.parse(JSON.parse(r.body)), updated_at: r.updated_at }]))
    this.version = version
    this.loadedAt = Date.now()
  }

  /**
   * Reloads when another process has changed a definition: checked at most every few seconds, and
   * at once unless what the caller needs is `known` here (a report just defined through another
   * instance).
   */
  async refresh(known: () => boolean = () => true): Promise<void> {
    if (Date.now() - this.loadedAt < REFRESH_MS && known()) return
    if ((await this.store.latestVersion('sla_reports')) !== this.version) await this.load()
    else this.loadedAt = Date.now()
  }


  /** Stores the definition with its defaults applied, so a later change of defaults cannot move old figures. */
  async put(name: string, input: SlaReportInput, by: string): Promise<{ report: StoredReport; created: boolean }> {
    const definition = SlaReport.parse(input)
    const created = !this.reports.has(name)
    await this.store.command(
      `INSERT INTO sla_reports (name, body, updated_by, updated_at, version)
       VALUES ({name:String}, {body:String}, {by:String}, now64(3), {version:UInt64})`,
      { name, body: JSON.stringify(definition), by, version: this.clock.next() },
    )
    await this.load()
    const report = this.reports.get(name)
    if (report === undefined) throw new Error(`report ${name} vanished after it was stored`)
    return { report, created }
  }

  get(name: string): StoredReport | undefined {
    return this.reports.get(name)
  }

  names(): string[] {
    return [...this.reports.keys()]
  }

  list(): StoredReport[] {
    return [...this.reports.values()]
  }
}
