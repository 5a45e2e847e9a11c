import type { Store } from '../platform/clickhouse/store.js'
import { MetricDefinition, type Aggregation } from './metric-definition.schema.js'

const RELOAD_MIN_INTERVAL_MS = 1000

/**
 * Metric definitions, read through an in-memory copy. An unknown id triggers a reload (at most once
 * a second) so definitions registered by another process are seen without a restart.
 */
export class MetricCatalog {
  private byId = new Map<string, MetricDefinition>()
  private lastLoad = 0
  /** Changes whenever the definitions may have: copies (the intake workers') compare it. */
  revision = 0

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    const rows = await this.store.query(
      'SELECT id, unit, aggregation, description FROM metric_definitions FINAL ORDER BY id',
      {},
      MetricDefinition,
    )
    this.byId = new Map(rows.map((r) => [r.id, r]))
    this.lastLoad = Date.now()
    this.revision++
  }

  async ensureFresh(ids: Iterable<string>): Promise<void> {
    for (const id of ids) {
      if (!this.byId.has(id)) {
        if (Date.now() - this.lastLoad >= RELOAD_MIN_INTERVAL_MS) await this.load()
        return
      }
    }
  }

  get(id: string): MetricDefinition | undefined {
    return this.byId.get(id)
  }

  list(): MetricDefinition[] {
    return [...this.byId.values()]
  }

  aggregationOf(id: string): Aggregation {
    return this.byId.get(id)?.aggregation ?? 'sum'
  }

  async put(def: MetricDefinition): Promise<{ created: boolean }> {
    const created = !this.byId.has(def.id)
    await this.store.command(
      `INSERT INTO metric_definitions (id, unit, aggregation, description, updated_at, version)
       VALUES ({id:String}, {unit:String}, {aggregation:String}, {description:String}, now64(3), {version:UInt64})`,
      { ...def, version: Date.now() * 1000 },
    )
    const wasLevel = (this.byId.get(def.id)?.aggregation ?? 'sum') !== 'sum'
    this.byId.set(def.id, def)
    this.revision++
    if (def.aggregation !== 'sum' && !wasLevel) {
      // Records pushed while the metric was additive are not in usage_levels yet.
      await this.store.command(
        `INSERT INTO usage_levels SELECT provider, record_id, resource, metric, value, start, end, at, user_id, user_group, order_ref, installation, version
         FROM usage_records FINAL WHERE metric = {id:String}`,
        { id: def.id },
      )
    }
    return { created }
  }
}
