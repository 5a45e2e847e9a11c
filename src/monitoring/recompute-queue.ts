import type { Logger } from 'pino'
import type { VersionClock } from '../collectors/version-clock.js'
import type { DirtyMark, DirtyMarkStore } from './dirty-marks.store.js'
import type { MonitoringMetrics } from './monitoring-metrics.js'
import { nextDay } from './topology-store.js'

/** Marks are stored right after their seq is drawn; a minute covers the stragglers of other processes. */
const SYNC_MARGIN_US = 60_000_000
/** How long another process may take between storing a mark and storing its data. */
const FOREIGN_MARGIN_US = 30_000_000

/** Which groups of a (report, day) need recomputing. */
export type Groups = ReadonlySet<string> | 'all'

/** Recomputes one (report, day) and returns the marks its result causes (the next day's carry-over changed). */
export type Materialise = (report: string, day: string, groups: Groups, version: number) => Promise<DirtyMark[]>

export interface RecomputeQueueOptions {
  marks: Pick<DirtyMarkStore, 'source' | 'insert' | 'markClean' | 'load' | 'firstDataDay'>
  clock: VersionClock
  reports(): readonly string[]
  materialise: Materialise
  logger: Logger
  metrics: MonitoringMetrics
  /** Today, UTC (`YYYY-MM-DD`); days after it are never computed. */
  today(): string
  now?(): number
  /** A day still receiving changes waits until it has been quiet this long… */
  quietMs: number
  /** …but never longer than this after its first change. */
  maxDelayMs: number
}

interface Entry {
  groups: Set<string> | 'all'
  firstAt: number
  lastAt: number
}

/**
 * The dirty-day queue. Writers of anything a day's figures depend on (results, downtimes,
 * topology, recomputations, report definitions) call `begin(marks)` before their insert and
 * `commit()` after it; a background loop recomputes dirty (report, day) pairs once they are quiet,
 * oldest day first, so a month of ingest computes each day about once. Reads call `settle()`,
 * which brings the days they need up to date first, so reads are always exact.
 *
 * Durability: a mark is stored before the change (begin), and a day's clean point is the seq
 * taken when its recompute started, but never past a write still in flight — so after a crash
 * the stored marks name every day that may be stale.
 */
export class RecomputeQueue {
  private readonly pending = new Map<string, Map<string, Entry>>()
  /** (report → days) with a stored computation. */
  private readonly computed = new Map<string, Set<string>>()
  private readonly inflight = new Set<number>()
  /** (report|day) → the clean point stored, or taken by a recompute under way. */
  private readonly cleanSeq = new Map<string, number>()
  private syncedUpTo = 0
  private lastSync = 0
  private firstDataDay: string | undefined
  private lock: Promise<unknown> = Promise.resolve()
  private timer: NodeJS.Timeout | null = null
  private busy = false
  private stopped = false
  private failures = 0
  private readonly now: () => number
  private syncMs = 5000

  constructor(private readonly o: RecomputeQueueOptions) {
    this.now = o.now ?? Date.now
  }

  /** Restores the queue from storage: every mark newer than its day's clean point is dirty again. */
  async load(): Promise<void> {
    await this.sync()
    this.firstDataDay = await this.o.marks.firstDataDay()
  }

  /**
   * Takes in marks stored by other processes (a Kafka sink elsewhere writes results and their
   * marks; so may another API process): the marks since the last sync, or of some days. A mark
   * counts when it is newer than its day's clean point, stored or about to be stored here.
   */
  async sync(days?: readonly string[]): Promise<void> {
    const since = days === undefined ? this.syncedUpTo : 0
    const { marks, clean } = await this.o.marks.load(since, days)
    for (const c of clean) {
      const k = `${c.report}|${c.day}`
      if (c.seq > (this.cleanSeq.get(k) ?? 0)) this.cleanSeq.set(k, c.seq)
      this.computedOf(c.report).add(c.day)
    }
    const at = this.now()
    // Advances even with no report defined: marks already read are not read again.
    const newest = marks.reduce((max, m) => Math.max(max, m.seq), 0)
    for (const report of this.o.reports()) {
      for (const m of marks) {
        // This process's own marks are in memory already (or in flight).
        if (m.source === this.o.marks.source) continue
        if (m.report !== '' && m.report !== report) continue
        if (m.seq > (this.cleanSeq.get(`${report}|${m.day}`) ?? 0)) this.add(report, m.day, m.endpoint_group, at)
      }
    }
    if (days === undefined && newest > 0) this.syncedUpTo = Math.max(this.syncedUpTo, newest - SYNC_MARGIN_US)
    this.updateGauge()
  }

  start(intervalMs = 250, syncMs = 5000): void {
    this.syncMs = syncMs
    this.stopped = false
    this.timer ??= setInterval(() => void this.tick(), intervalMs)
    this.timer.unref()
  }

  /** Stops the background loop and waits for a running recompute. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.lock.catch(() => undefined)
  }

  /**
   * Stores the marks and holds them as in flight; `commit()` (after the caller's insert) puts them
   * in the queue. Always commit, also when the insert failed: a spurious mark costs one recompute.
   */
  async begin(marks: readonly DirtyMark[]): Promise<{ commit(): void }> {
    const seq = this.o.clock.next()
    this.inflight.add(seq)
    try {
      await this.o.marks.insert(marks, seq)
    } catch (err) {
      this.inflight.delete(seq)
      throw err
    }
    let done = false
    return {
      commit: () => {
        if (done) return
        done = true
        const at = this.now()
        for (const m of marks) for (const report of m.report === '' ? this.o.reports() : [m.report]) this.add(report, m.day, m.group, at)
        this.inflight.delete(seq)
        this.updateGauge()
      },
    }
  }

  /** Marks for a change that has already been made durable by the caller's own ordering. */
  async mark(marks: readonly DirtyMark[]): Promise<void> {
    ;(await this.begin(marks)).commit()
  }

  /** A probe batch touched these days: they now hold data. */
  noteDataDays(days: Iterable<string>): void {
    for (const d of days) if (this.firstDataDay === undefined || d < this.firstDataDay) this.firstDataDay = d
  }

  /**
   * The days of `[from, until]` (open ends allowed) whose figures a configuration change can
   * move: up to today, and either holding data or already computed for the report ('' = any).
   */
  affectedDays(report: string, from: string | undefined, until: string | undefined): string[] {
    const today = this.o.today()
    const end = until === undefined || until > today ? today : until
    const days = new Set<string>()
    const computed = report === '' ? [...this.computed.values()] : [this.computed.get(report) ?? new Set<string>()]
    for (const set of computed) for (const d of set) if ((from === undefined || d >= from) && d <= end) days.add(d)
    if (this.firstDataDay !== undefined) {
      let d = from === undefined || from < this.firstDataDay ? this.firstDataDay : from
      for (; d <= end; d = nextDay(d)) days.add(d)
    }
    return [...days].sort()
  }

  /**
   * Brings the days up to date for the report before a read: first any dirty earlier day (its
   * recompute can move the start-of-day status of later ones), then every requested day that is
   * dirty or was never computed. Days after today are left alone.
   */
  async settle(report: string, days: readonly string[]): Promise<void> {
    const today = this.o.today()
    const wanted = [...new Set(days)].filter((d) => d <= today).sort()
    const last = wanted[wanted.length - 1]
    if (last === undefined) return
    await this.sync(wanted)
    const earlier = [...(this.pending.get(report)?.keys() ?? [])].filter((d) => d < (wanted[0] ?? '')).sort()
    for (const day of [...earlier, ...wanted]) {
      await this.exclusive(async () => {
        if (this.pending.get(report)?.has(day) || !this.computed.get(report)?.has(day)) await this.run(report, day)
      })
    }
  }

  /** Dirty (report, day) pairs waiting. */
  size(): number {
    let n = 0
    for (const days of this.pending.values()) n += days.size
    return n
  }

  /** Waits until nothing is queued up to today (tests, benchmarks, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      const next = this.pick(true)
      if (next === undefined) return
      await this.exclusive(async () => {
        if (this.pending.get(next.report)?.has(next.day)) await this.run(next.report, next.day)
      })
    }
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return
    if (this.now() - this.lastSync >= this.syncMs) {
      this.lastSync = this.now()
      await this.sync().catch((err: unknown) => this.o.logger.warn({ err }, 'could not read recompute marks'))
    }
    const next = this.pick(false)
    if (next === undefined) return
    this.busy = true
    try {
      await this.exclusive(async () => {
        if (!this.stopped && this.pending.get(next.report)?.has(next.day)) await this.run(next.report, next.day)
      })
      this.failures = 0
    } catch (err) {
      // Infrastructure trouble: the entry went back to the queue; wait a little before the next try.
      this.failures++
      this.o.logger.error({ err, report: next.report, day: next.day }, 'availability recompute failed; will retry')
      await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6))).unref())
    } finally {
      this.busy = false
    }
  }

  /** The oldest ready entry (quiet long enough, or waiting too long); `any` ignores the timing. */
  private pick(any: boolean): { report: string; day: string } | undefined {
    const now = this.now()
    const today = this.o.today()
    let best: { report: string; day: string } | undefined
    for (const [report, days] of this.pending) {
      for (const [day, e] of days) {
        if (day > today) continue
        if (!any && now - e.lastAt < this.o.quietMs && now - e.firstAt < this.o.maxDelayMs) continue
        if (best === undefined || day < best.day) best = { report, day }
      }
    }
    return best
  }

  private async run(report: string, day: string): Promise<void> {
    const entry = this.pending.get(report)?.get(day)
    this.pending.get(report)?.delete(day)
    const groups: Groups = !this.computed.get(report)?.has(day) || entry === undefined ? 'all' : entry.groups
    const version = this.o.clock.next()
    // Never past a write of this process still in flight, and never past the last minute: a
    // write in another process may have stored its mark but not yet its data.
    const clean = Math.min(version - FOREIGN_MARGIN_US, ...[...this.inflight].map((s) => s - 1))
    const cleanKey = `${report}|${day}`
    const cleanBefore = this.cleanSeq.get(cleanKey)
    this.cleanSeq.set(cleanKey, Math.max(cleanBefore ?? 0, clean))
    const started = performance.now()
    try {
      const cascade = await this.o.materialise(report, day, groups, version)
      const today = this.o.today()
      const next = cascade.filter((m) => m.day <= today && this.computed.get(report)?.has(m.day))
      if (next.length > 0) await this.mark(next)
      await this.o.marks.markClean(report, day, clean)
      this.computedOf(report).add(day)
      this.o.metrics.recomputeSeconds.observe({ scope: groups === 'all' ? 'all' : 'groups' }, (performance.now() - started) / 1000)
    } catch (err) {
      if (cleanBefore === undefined) this.cleanSeq.delete(cleanKey)
      else this.cleanSeq.set(cleanKey, cleanBefore)
      if (entry !== undefined || groups === 'all') this.add(report, day, groups === 'all' ? '' : [...groups], entry?.firstAt ?? this.now())
      throw err
    } finally {
      this.updateGauge()
    }
  }

  private add(report: string, day: string, group: string | readonly string[], at: number): void {
    let days = this.pending.get(report)
    if (days === undefined) this.pending.set(report, (days = new Map()))
    let e = days.get(day)
    if (e === undefined) days.set(day, (e = { groups: new Set(), firstAt: at, lastAt: at }))
    e.lastAt = at
    const groups = typeof group === 'string' ? [group] : group
    if (e.groups === 'all') return
    for (const g of groups) {
      if (g === '') {
        e.groups = 'all'
        return
      }
      e.groups.add(g)
    }
  }

  private computedOf(report: string): Set<string> {
    let days = this.computed.get(report)
    if (days === undefined) this.computed.set(report, (days = new Set()))
    return days
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn)
    this.lock = run.catch(() => undefined)
    return run
  }

  private updateGauge(): void {
    this.o.metrics.dirtyDays.set(this.size())
  }
}
