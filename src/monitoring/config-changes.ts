import type { SlaReportInput } from '../aggregators/availability/profiles.js'
import { Recomputation } from '../aggregators/availability/recomputation.js'
import { toEpochSeconds } from '../aggregators/availability/utc-day.js'
import { issueMessages } from '../collectors/collect.js'
import { badRequest } from '../platform/errors.js'
import type { DirtyMark } from './dirty-marks.store.js'
import type { RecomputationRequest, RecomputationStore, StoredRecomputation } from './recomputation-store.js'
import type { RecomputeQueue } from './recompute-queue.js'
import type { SlaReportStore, StoredReport } from './sla-report-store.js'
import { previousDay, type TopologyStore } from './topology-store.js'
import type { TopologyInput } from './topology.schema.js'

const dayOfSeconds = (s: number) => new Date(s * 1000).toISOString().slice(0, 10)

/**
 * Changes to what figures are computed from — topology, report definitions, recomputations —
 * each marking the days it moves dirty before it is stored (the recompute queue's contract).
 */
export class ConfigChanges {
  constructor(
    private readonly deps: {
      topology: TopologyStore
      reports: SlaReportStore
      recomputations: RecomputationStore
      queue: RecomputeQueue
      today(): string
    },
  ) {}

  /** A new topology version from `date` (default today): the days it governs are recomputed for every report. */
  async putTopology(input: TopologyInput, by: string): Promise<{ date: string; groups: number; endpoints: number; days_marked: number }> {
    const date = input.date ?? this.deps.today()
    const versions = this.deps.topology.list()
    const first = versions.length === 0 || date <= (versions[0]?.date ?? date)
    const next = versions.find((v) => v.date > date)
    const days = this.deps.queue.affectedDays('', first ? undefined : date, next === undefined ? undefined : previousDay(next.date))
    const pending = await this.deps.queue.begin(days.map((day) => ({ report: '', day, group: '' })))
    try {
      await this.deps.topology.put(input, date, by)
    } finally {
      pending.commit()
    }
    return { date, groups: input.groups.length, endpoints: input.groups.reduce((n, g) => n + g.endpoints.length, 0), days_marked: days.length }
  }

  /** A report definition: every day it has data or figures for is recomputed under the new one. */
  async putReport(name: string, input: SlaReportInput, by: string): Promise<{ report: StoredReport; created: boolean }> {
    const days = this.deps.queue.affectedDays(name, undefined, undefined)
    const pending = await this.deps.queue.begin(days.map((day) => ({ report: name, day, group: '' })))
    try {
      return await this.deps.reports.put(name, input, by)
    } finally {
      pending.commit()
    }
  }

  /** Stores an audited recomputation and recomputes the days of its period (later days follow by carry-over). */
  async addRecomputation(report: string, request: RecomputationRequest, by: string): Promise<StoredRecomputation> {
    const { reason, ...rest } = request
    const parsed = Recomputation.safeParse(rest)
    if (!parsed.success) throw badRequest('VALIDATION_FAILED', issueMessages(parsed.error).join('; '), issueMessages(parsed.error))
    const r = parsed.data
    const start = toEpochSeconds(r.start) ?? 0
    const end = toEpochSeconds(r.end) ?? 0
    const groups = r.kind === 'exclude_group' ? [r.group] : r.kind === 'exclude_metric' && r.group !== undefined ? [r.group] : ['']
    const marks: DirtyMark[] = this.deps.queue
      .affectedDays(report, dayOfSeconds(start), dayOfSeconds(end - 1))
      .flatMap((day) => groups.map((group) => ({ report, day, group })))
    const pending = await this.deps.queue.begin(marks)
    try {
      return await this.deps.recomputations.add(report, r, reason, by)
    } finally {
      pending.commit()
    }
  }
}
