import { clipToDay, overlay, type Timeline, type Window } from './timeline.js'
import type { Instant } from './utc-day.js'

/**
 * ARGO reads a downtime's end minute inclusively: DOWNTIME covers `[start, end + 60 s)`, so the
 * GOCDB form `… → 23:59:00Z` runs to midnight (reference §1.1, §1.5, Q1; Decision 5).
 */
export const DOWNTIME_END_INCLUSIVE_SECONDS = 60

/**
 * A downtime as storage holds it. It covers every endpoint whose group, hostname and service
 * equal the ones given here (empty and null mean "any"): `{hostname, service}` is one endpoint,
 * `{group}` every endpoint of a group (DESIGN §3.4). With none of the three it covers nothing,
 * so a half-filled row can never put the whole topology in downtime.
 */
export interface DowntimeInput {
  readonly start: Instant
  readonly end: Instant
  readonly group?: string | null
  readonly hostname?: string | null
  readonly service?: string | null
}

export interface EndpointKey {
  readonly group: string
  readonly hostname: string
  readonly service: string
}

const given = (value: string | null | undefined): value is string => value !== undefined && value !== null && value !== ''

export function downtimeCovers(downtime: DowntimeInput, endpoint: EndpointKey): boolean {
  const keys = [
    [downtime.group, endpoint.group],
    [downtime.hostname, endpoint.hostname],
    [downtime.service, endpoint.service],
  ] as const
  return keys.some(([want]) => given(want)) && keys.every(([want, have]) => !given(want) || want === have)
}

/** The part of the day a downtime stored as `[start, end]` (epoch seconds) puts in DOWNTIME. */
export function downtimeWindow(dayStart: number, start: number, end: number): Window | undefined {
  return clipToDay(dayStart, start, end + DOWNTIME_END_INCLUSIVE_SECONDS)
}

/**
 * Applied to endpoint timelines after metric aggregation (Decision 3); after each window the
 * endpoint's true status resumes, even when it changed exactly at the window's end (Decision 5).
 */
export function applyDowntimes(timeline: Timeline, windows: readonly Window[]): Timeline {
  return windows.reduce((acc, window) => overlay(acc, window, 'DOWNTIME'), timeline)
}
