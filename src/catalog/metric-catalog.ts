import type { Store } from '../platform/clickhouse/store.js'
import { MetricDefinition, type Aggregation } from './metric-definition.schema.js'

/**
 * Metric definitions, read through an in-memory copy. An unknown id makes it ask the store whether
 * definitions changed (one small query) and reload if so, so a definition registered through
 * another process is used at once.
 */
export class MetricCatalog {
  private byId = new Map<string, MetricDefinition>()
  private version = 0
  /** Changes whenever the definitions may have: copies (the intake workers') compare it. */
  revision = 0

  constructor(private readonly store: Store) {}

  async load(): Promise<void> {
    // The version first: a definition written meanwhile is then seen by the next check.
    const version = await this.store.latestVersion('metric_definitions')
    const rows = await this.store.query(
      'SELECT id, unit, aggregation, description FROM metric_definitions FINAL ORDER BY id',
      {},
      MetricDefinition,
    )
    this.byId = new Map(rows.map((r) => [r.id, r]))
    this.version = version
    this.revision++
  }

  /**
   * Where other processes may change definitions (a ClickHouse server): checks every `everyMs`
   * whether one did and reloads, so a changed aggregation reaches reports, intake and the sink.
   * Returns the function that stops it.
   */
  watch(everyMs: number, onError: (err: unknown) => void): () => void {
    const timer = setInterval(() => {
      this.store.latestVersion('metric_definitions')
        .then((v) => (v === this.version ? undefined : this.load()))
        .catch(onError)
    }, everyMs)
    timer.unref()
    return () => clearInterval(timer)
  }


  async ensureFresh(ids: Iterable<string>): Promise<void> {
    for (const id of ids) {
      if (!this.byId.has(id)) {
        if ((await this.store.latestVersion('metric_definitions')) !== this.version) await this.load()
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
