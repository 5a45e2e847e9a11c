import { describe, expect, it } from 'vitest'
import { InfraError } from '../platform/errors.js'
import { createMetrics } from '../platform/metrics.js'
import type { Bus, RecordKind } from './bus.js'
import { groupPublishes } from './grouped-bus.js'

/** A bus that records each publish and holds it until released. */
function heldBus() {
  const published: { kind: RecordKind; rows: unknown[] }[] = []
  const gates: { release(err?: unknown): void }[] = []
  const bus: Bus = {
    publish: (kind, rows) => {
      published.push({ kind, rows: [...rows] })
      return new Promise<void>((resolve, reject) => gates.push({ release: (err) => (err ? reject(err) : resolve()) }))
    },
    close: async () => undefined,
    health: async () => ({ ok: true, detail: {} }),
  }
  return { bus, published, gates }
}

const limits = { maxRows: 1_000, maxBytes: 1e9, maxWaitMs: 1 }
const row = (n: number) => ({ n })
const settle = () => new Promise((r) => setTimeout(r, 10))

describe('groupPublishes', () => {
  it('sends publishes made while one is in flight as one publish, each resolving only with it', async () => {
    const { bus, published, gates } = heldBus()
    const grouped = groupPublishes(bus, limits, createMetrics())
    const first = grouped.publish('usage', [row(1)])
    await settle()
    let done = 0
    const rest = [grouped.publish('usage', [row(2), row(3)]), grouped.publish('usage', [row(4)])].map((p) => p.then(() => done++))
    gates[0]!.release()
    await first
    await settle()
    expect(published.map((p) => p.rows)).toEqual([[row(1)], [row(2), row(3), row(4)]])
    expect(done).toBe(0)
    gates[1]!.release()
    await Promise.all(rest)
    expect(done).toBe(2)
  })

  it('fails every publish of a group whose publish failed, and keeps kinds apart', async () => {
    const { bus, published, gates } = heldBus()
    const grouped = groupPublishes(bus, limits, createMetrics())
    const usage = [grouped.publish('usage', [row(1)]), grouped.publish('usage', [row(2)])]
    const probe = grouped.publish('probe', [row(3)])
    await settle()
    expect(published).toEqual([
      { kind: 'usage', rows: [row(1), row(2)] },
      { kind: 'probe', rows: [row(3)] },
    ])
    const outage = new InfraError('BUS_UNAVAILABLE', 'down', { retriable: true })
    gates[0]!.release(outage)
    gates[1]!.release()
    for (const p of usage) await expect(p).rejects.toBe(outage)
    await expect(probe).resolves.toBeUndefined()
  })
})
