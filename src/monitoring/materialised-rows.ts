import type { DayComputation, DailyAr } from '../aggregators/availability/compute-day.js'
import type { Timeline } from '../aggregators/availability/timeline.js'
import type { Store } from '../platform/clickhouse/store.js'
import { jsonString as s } from './dirty-marks.store.js'

/**
 * Serialises one computation into the materialised tables' JSONEachRow lines, written field by
 * field (a day of 500 endpoints is ~15k status changes; JSON.stringify of objects is ~3x slower).
 */
export class MaterialisedRows {
  readonly status: string[] = []
  readonly daily: string[] = []

  constructor(
    private readonly report: string,
    private readonly day: string,
    private readonly version: number,
  ) {}

  add(c: DayComputation): void {
    const head = `{"report":${s(this.report)},"day":"${this.day}","endpoint_group":`
    const tail = `,"version":${this.version}}`
    const timeline = (group: string, level: string, fn: string, service: string, hostname: string, metric: string, t: Timeline) => {
      const prefix = `${head}${s(group)},"level":"${level}","function":${s(fn)},"service":${s(service)},"hostname":${s(hostname)},"metric":${s(metric)},"at":`
      for (const p of t) this.status.push(`${prefix}${p.at},"status":"${p.status}"${tail}`)
    }
    const daily = (group: string, level: string, service: string, hostname: string, ar: DailyAr) => {
      const x = ar.seconds
      this.daily.push(
        `${head}${s(group)},"level":"${level}","service":${s(service)},"hostname":${s(hostname)},` +
          `"seconds_ok":${x.OK},"seconds_warning":${x.WARNING},"seconds_unknown":${x.UNKNOWN},"seconds_missing":${x.MISSING},` +
          `"seconds_critical":${x.CRITICAL},"seconds_downtime":${x.DOWNTIME},"seconds_excluded":${x.EXCLUDED}${tail}`,
      )
    }
    for (const m of c.metrics) timeline(m.group, 'metric', '', m.service, m.hostname, m.metric, m.timeline)
    for (const e of c.endpoints) {
      timeline(e.group, 'endpoint', '', e.service, e.hostname, '', e.timeline)
      daily(e.group, 'endpoint', e.service, e.hostname, e.ar)
    }
    for (const sv of c.services) {
      timeline(sv.group, 'service', '', sv.service, '', '', sv.timeline)
      daily(sv.group, 'service', sv.service, '', sv.ar)
    }
    for (const f of c.functions) timeline(f.group, 'function', f.function, '', '', '', f.timeline)
    for (const g of c.groups) {
      timeline(g.group, 'group', '', '', '', '', g.timeline)
      daily(g.group, 'group', '', '', g.ar)
    }
  }

  /** Rows first, then the pointer rows that make them current: a reader never sees half a day. */
  async write(store: Store, groups: readonly { group: string; present: boolean; carryIn: string }[]): Promise<void> {
    await Promise.all([
      this.status.length ? store.insertNdjson('availability_status', this.status.join('\n')) : undefined,
      this.daily.length ? store.insertNdjson('availability_daily', this.daily.join('\n')) : undefined,
    ])
    if (groups.length === 0) return
    const now = Date.now()
    const lines = groups.map(
      (g) =>
        `{"report":${s(this.report)},"day":"${this.day}","endpoint_group":${s(g.group)},"present":${g.present ? 1 : 0},` +
        `"carry_in":"${g.carryIn}","computed_at":${now},"version":${this.version}}`,
    )
    await store.insertNdjson('availability_groups', lines.join('\n'))
  }
}
