import type { ActiveWindow, StatusEntry } from './order-types.js'

const ENDS: ReadonlySet<string> = new Set(['closed', 'rejected'])

/**
 * An order is active from its first `ready` to the next `closed` or `rejected`; any other status
 * in between leaves it open, and a later `ready` opens a new window (DESIGN §3.5). Open-access
 * items are active from creation (`openAccessFrom`). The Marketplace does not enforce
 * transitions, so the history may be unsorted or skip states: it is ordered by time here
 * (stably, so same-instant entries keep their given order). Empty windows are dropped.
 */
export function activeWindows(history: readonly StatusEntry[], opts: { openAccessFrom?: string | null } = {}): ActiveWindow[] {
  const opening: StatusEntry[] = opts.openAccessFrom ? [{ at: opts.openAccessFrom, status: 'ready' }] : []
  const entries = [...opening, ...history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  const windows: ActiveWindow[] = []
  let openedAt: string | null = null
  for (const e of entries) {
    if (e.status === 'ready') {
      openedAt ??= e.at
    } else if (ENDS.has(e.status) && openedAt !== null) {
      if (Date.parse(e.at) > Date.parse(openedAt)) windows.push({ from: openedAt, to: e.at })
      openedAt = null
    }
  }
  if (openedAt !== null) windows.push({ from: openedAt, to: null })
  return windows
}

/**
 * Whether usage over `[startMs, endMs]` touches the window `[from, to)`: a usage interval that
 * merely ends when the window starts does not, an instantaneous one at `from` does.
 */
export function overlapsWindow(startMs: number, endMs: number, w: ActiveWindow): boolean {
  const from = Date.parse(w.from)
  const to = w.to === null ? Number.POSITIVE_INFINITY : Date.parse(w.to)
  return startMs < to && (endMs > from || startMs >= from)
}
