import { combine, type TruthTable } from './operations-profile.js'
import { compareSeverity, type ProbeStatus, type Status } from './status.js'
import { DAY_SECONDS } from './utc-day.js'

/**
 * A status timeline over one UTC day (Decision 1): change points at second resolution, `at`
 * counted from 00:00:00Z. The first point is at 0, points are strictly increasing, neighbours
 * differ (ARGO's `optimize()`, reference §1.3), and the last status holds until 24:00:00.
 */
export interface ChangePoint {
  readonly at: number
  readonly status: Status
}
export type Timeline = readonly ChangePoint[]

/** A half-open span `[from, to)` of seconds within the day. */
export interface Window {
  readonly from: number
  readonly to: number
}

/**
 * Appends a change, keeping the invariants: a second already present takes the new status
 * (the later write wins, like a TreeMap put) and a repeated status is not a change.
 */
function append(points: ChangePoint[], at: number, status: Status): void {
  let last = points[points.length - 1]
  if (last !== undefined && last.at === at) {
    points.pop()
    last = points[points.length - 1]
  }
  if (last === undefined || last.status !== status) points.push({ at, status })
}

export function constant(status: Status): Timeline {
  return [{ at: 0, status }]
}

/** The status in force at second `at` (the floor point, §1.4 step 2). */
export function statusAt(timeline: Timeline, at: number): Status {
  let lo = 0
  let hi = timeline.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((timeline[mid]?.at ?? Infinity) <= at) lo = mid
    else hi = mid - 1
  }
  const point = timeline[lo]
  if (point === undefined) throw new Error('empty timeline')
  return point.status
}

/** One probe result placed in the day. */
export interface DayResult {
  readonly at: number
  readonly status: ProbeStatus
}

/**
 * A metric's timeline (Decision 4): it starts with the last status before the day, or MISSING
 * when there is none, until its first result; each result holds until the next one. A result at
 * 00:00:00 replaces the carried-over status. Of several results in the same second the worst wins.
 */
export function metricTimeline(carriedOver: ProbeStatus | undefined, results: readonly DayResult[]): Timeline {
  const sorted = [...results].sort((x, y) => x.at - y.at || compareSeverity(x.status, y.status))
  const points: ChangePoint[] = [{ at: 0, status: carriedOver ?? 'MISSING' }]
  for (const r of sorted) append(points, r.at, r.status)
  return points
}

/** `a op b` at every point of the union of both timelines' change points (§1.4 step 2). */
export function combineTimelines(table: TruthTable, a: Timeline, b: Timeline): Timeline {
  const points: ChangePoint[] = []
  let i = 0
  let j = 0
  let sa: Status | undefined
  let sb: Status | undefined
  while (i < a.length || j < b.length) {
    const ta = a[i]?.at ?? Infinity
    const tb = b[j]?.at ?? Infinity
    const at = Math.min(ta, tb)
    if (ta === at) sa = a[i++]?.status
    if (tb === at) sb = b[j++]?.status
    if (sa === undefined || sb === undefined) throw new Error('timeline does not start at 00:00:00')
    append(points, at, combine(table, sa, sb))
  }
  return points
}

/**
 * Folds timelines pairwise in the given order (§1.4 step 1: the first is copied, each next one
 * folded in). The default tables are min/max over total orders, so the order does not matter for
 * them; callers still pass a stable order so a custom, non-associative table gives stable results.
 * No timeline at all gives undefined: there is nothing to combine.
 */
export function fold(table: TruthTable, timelines: readonly Timeline[]): Timeline | undefined {
  let acc: Timeline | undefined
  for (const timeline of timelines) acc = acc === undefined ? timeline : combineTimelines(table, acc, timeline)
  return acc
}

/**
 * Writes `status` over `window` (clipped to the day) and restores the true status at its end,
 * whatever changes lie inside or on the boundary (Decision 5 rejects ARGO's lost-restore bug).
 */
export function overlay(timeline: Timeline, window: Window, status: Status): Timeline {
  const from = Math.max(0, window.from)
  const to = Math.min(DAY_SECONDS, window.to)
  if (from >= to) return timeline
  const points: ChangePoint[] = []
  for (const p of timeline) {
    if (p.at >= from) break
    append(points, p.at, p.status)
  }
  append(points, from, status)
  if (to < DAY_SECONDS) append(points, to, statusAt(timeline, to))
  for (const p of timeline) if (p.at > to) append(points, p.at, p.status)
  return points
}

/** Clips an absolute span `[start, end)` (epoch seconds) to the day starting at `dayStart`. */
export function clipToDay(dayStart: number, start: number, end: number): Window | undefined {
  const from = Math.max(0, start - dayStart)
  const to = Math.min(DAY_SECONDS, end - dayStart)
  return from < to ? { from, to } : undefined
}
