import pino from 'pino'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { VersionClock } from '../collectors/version-clock.js'
import type { DirtyMark } from './dirty-marks.store.js'
import { createMonitoringMetrics } from './monitoring-metrics.js'
import { RecomputeQueue, type Groups } from './recompute-queue.js'

/** An in-memory mark store and a recording materialiser around a real queue. */
function setUp(opts: { cascade?: (report: string, day: string) => DirtyMark[]; fail?: () => boolean } = {}) {
  const stored: { mark: DirtyMark; seq: number; source: string }[] = []
  const clean = new Map<string, number>()
  const runs: { report: string; day: string; groups: Groups; version: number }[] = []
  const time = { ms: 1_000_000_000 }
  const clock = new VersionClock(() => ++time.ms)
  const marks = {
    source: 'me',
    insert: async (m: readonly DirtyMark[], seq: number) => void stored.push(...m.map((mark) => ({ mark, seq, source: 'me' }))),
    markClean: async (report: string, day: string, seq: number) => void clean.set(`${report}|${day}`, seq),
    load: async () => ({
      marks: stored.map((s) => ({ report: s.mark.report, day: s.mark.day, endpoint_group: s.mark.group, source: s.source, seq: s.seq })),
      clean: [...clean].map(([k, seq]) => ({ report: k.split('|')[0]!, day: k.split('|')[1]!, seq })),
    }),
    firstDataDay: async () => '2026-03-01',
  }
  const queue = new RecomputeQueue({
    marks,
    clock,
    reports: () => ['r'],
    materialise: async (report, day, groups, version) => {
      if (opts.fail?.()) throw new Error('store down')
      runs.push({ report, day, groups, version })
      return opts.cascade?.(report, day) ?? []
    },
    logger: pino({ level: 'silent' }),
    metrics: createMonitoringMetrics(new Registry()),
    today: () => '2026-03-31',
    quietMs: 0,
    maxDelayMs: 0,
  })
  return { queue, stored, clean, runs, marks, time }
}

describe('recompute queue', () => {
  it('computes a day never computed in full, then only the groups marked', async () => {
    const { queue, runs } = setUp()
    await queue.settle('r', ['2026-03-10'])
    expect(runs).toEqual([expect.objectContaining({ day: '2026-03-10', groups: 'all' })])
    await queue.mark([{ report: '', day: '2026-03-10', group: 'G1' }, { report: '', day: '2026-03-10', group: 'G2' }])
    await queue.settle('r', ['2026-03-10'])
    expect(runs[1]?.groups).toEqual(new Set(['G1', 'G2']))
    await queue.settle('r', ['2026-03-10'])
    expect(runs).toHaveLength(2)
  })

  it('leaves future days alone and follows carry-over cascades in day order', async () => {
    const { queue, runs } = setUp({ cascade: (_r, day) => (day === '2026-03-10' ? [{ report: 'r', day: '2026-03-11', group: 'G' }] : []) })
    await queue.settle('r', ['2026-03-11', '2026-03-10', '2026-04-01'])
    expect(runs.map((r) => r.day)).toEqual(['2026-03-10', '2026-03-11'])
    await queue.mark([{ report: '', day: '2026-03-10', group: 'G' }])
    // Reading day 11 first brings the earlier dirty day 10 up to date, whose cascade marks day 11.
    await queue.settle('r', ['2026-03-11'])
    expect(runs.map((r) => [r.day, r.groups === 'all' ? 'all' : [...r.groups]])).toEqual([
      ['2026-03-10', 'all'],
      ['2026-03-11', 'all'],
      ['2026-03-10', ['G']],
      ['2026-03-11', ['G']],
    ])
  })

  it('stores a mark before the change and queues it only on commit', async () => {
    const { queue, stored, runs } = setUp()
    await queue.settle('r', ['2026-03-10'])
    const pending = await queue.begin([{ report: '', day: '2026-03-10', group: 'G' }])
    expect(stored).toHaveLength(1)
    expect(queue.size()).toBe(0)
    pending.commit()
    expect(queue.size()).toBe(1)
    await queue.drain()
    expect(runs).toHaveLength(2)
  })

  it('never declares a day clean past a write still in flight', async () => {
    const { queue, stored, clean, time } = setUp()
    const pending = await queue.begin([{ report: '', day: '2026-03-10', group: 'G' }])
    // A slow write: long past the margin kept for other processes.
    time.ms += 120_000
    await queue.settle('r', ['2026-03-10'])
    expect(clean.get('r|2026-03-10')).toBeLessThan(stored[0]!.seq)
    pending.commit()
  })

  it('picks the marks of other processes up, and those left before a restart', async () => {
    const first = setUp()
    await first.queue.settle('r', ['2026-03-10'])
    await first.queue.mark([{ report: '', day: '2026-03-10', group: 'G' }])
    // Another process (or this one before a restart) sees the mark as foreign.
    const foreign = first.stored.map((s) => ({ ...s, source: 'other' }))
    first.stored.splice(0, first.stored.length, ...foreign)
    await first.queue.drain()
    const runsBefore = first.runs.length
    await first.queue.sync()
    // The mark is newer than the clean point, which stays a margin behind: it is taken in again.
    expect(first.queue.size()).toBe(1)
    await first.queue.drain()
    expect(first.runs.length).toBe(runsBefore + 1)
  })

  it('puts a failed recompute back', async () => {
    let fail = true
    const { queue, runs } = setUp({ fail: () => fail })
    await expect(queue.settle('r', ['2026-03-10'])).rejects.toThrow('store down')
    expect(queue.size()).toBe(1)
    fail = false
    await queue.settle('r', ['2026-03-10'])
    expect(runs).toEqual([expect.objectContaining({ day: '2026-03-10', groups: 'all' })])
  })
})
