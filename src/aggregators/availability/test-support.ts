import type { Status } from './status.js'
import type { Timeline } from './timeline.js'

/** Seconds after midnight of `hh:mm[:ss]`; `24:00` is the end of the day. */
export function hms(text: string): number {
  const [h = 0, m = 0, s = 0] = text.split(':').map(Number)
  return h * 3600 + m * 60 + s
}

/** A timeline written as `[['00:00', 'OK'], ['03:00', 'CRITICAL']]`. */
export function tl(points: readonly (readonly [string, Status])[]): Timeline {
  return points.map(([at, status]) => ({ at: hms(at), status }))
}
