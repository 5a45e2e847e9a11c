import { describe, expect, it } from 'vitest'
import { activeWindows, overlapsWindow } from './active-windows.js'
import type { StatusEntry, StatusType } from './order-types.js'

const t = (minute: number) => new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString()
const h = (...steps: [number, StatusType][]): StatusEntry[] => steps.map(([m, status]) => ({ at: t(m), status }))

describe('activeWindows', () => {
  it('ready → in_progress → ready is one window, opened at the first ready and still open', () => {
    expect(activeWindows(h([0, 'created'], [1, 'registered'], [5, 'ready'], [9, 'in_progress'], [12, 'ready']))).toEqual([{ from: t(5), to: null }])
  })

  it('ready → closed → ready is two windows', () => {
    expect(activeWindows(h([5, 'ready'], [10, 'closed'], [20, 'ready']))).toEqual([
      { from: t(5), to: t(10) },
      { from: t(20), to: null },
    ])
  })

  it('rejected ends a window, and an order rejected before ready never had one', () => {
    expect(activeWindows(h([5, 'ready'], [8, 'rejected']))).toEqual([{ from: t(5), to: t(8) }])
    expect(activeWindows(h([0, 'created'], [1, 'registered'], [2, 'in_progress'], [3, 'rejected']))).toEqual([])
  })

  it('statuses other than closed/rejected between ready and the end leave the window open', () => {
    expect(activeWindows(h([5, 'ready'], [6, 'waiting_for_response'], [7, 'approved'], [8, 'registered'], [9, 'closed']))).toEqual([
      { from: t(5), to: t(9) },
    ])
  })

  it('accepts skipped states and unsorted input', () => {
    const sorted = h([0, 'created'], [5, 'ready'], [10, 'closed'], [20, 'ready'], [30, 'closed'])
    expect(activeWindows([...sorted].reverse())).toEqual(activeWindows(sorted))
    expect(activeWindows(sorted)).toEqual([
      { from: t(5), to: t(10) },
      { from: t(20), to: t(30) },
    ])
  })

  it('a repeated close or a close without a window changes nothing', () => {
    expect(activeWindows(h([1, 'closed'], [5, 'ready'], [8, 'closed'], [9, 'closed']))).toEqual([{ from: t(5), to: t(8) }])
  })

  it('drops a window that closes the instant it opens', () => {
    expect(activeWindows(h([5, 'ready'], [5, 'closed']))).toEqual([])
  })

  it('open-access items are active from creation, before their ready arrives', () => {
    expect(activeWindows(h([0, 'created'], [2, 'ready']), { openAccessFrom: t(0) })).toEqual([{ from: t(0), to: null }])
    expect(activeWindows(h([0, 'ready'], [30, 'closed'], [40, 'ready']), { openAccessFrom: t(0) })).toEqual([
      { from: t(0), to: t(30) },
      { from: t(40), to: null },
    ])
  })
})

describe('overlapsWindow', () => {
  const w = { from: t(10), to: t(20) }
  const ms = (m: number) => Date.parse(t(m))

  it('is true for usage touching the window and false for usage wholly before or after it', () => {
    expect(overlapsWindow(ms(12), ms(15), w)).toBe(true)
    expect(overlapsWindow(ms(5), ms(11), w)).toBe(true)
    expect(overlapsWindow(ms(19), ms(40), w)).toBe(true)
    expect(overlapsWindow(ms(1), ms(9), w)).toBe(false)
    expect(overlapsWindow(ms(21), ms(30), w)).toBe(false)
  })

  it('treats the window as [from, to): usage ending at `from` or starting at `to` is outside', () => {
    expect(overlapsWindow(ms(5), ms(10), w)).toBe(false)
    expect(overlapsWindow(ms(20), ms(25), w)).toBe(false)
    expect(overlapsWindow(ms(10), ms(10), w)).toBe(true)
    expect(overlapsWindow(ms(20), ms(20), w)).toBe(false)
  })

  it('an open window reaches into the future', () => {
    expect(overlapsWindow(ms(500), ms(600), { from: t(10), to: null })).toBe(true)
  })
})
