import type { UsageRow } from '../collectors/usage-record.schema.js'
import { decodeLine, lineKey, partLines, type UsagePart } from './usage-part.js'

/** A row of a batch: its part's index × 2^21 + its line's index (a part holds fewer than 2^21 rows). */
export type Ref = number
const PART = 2 ** 21

/**
 * The parts one write carries, read row by row through their hashes; a part's lines are split
 * (and rows decoded) only where a row needs more than its hash: a key met twice, a key that may be
 * stored, a part to encode again.
 */
export class PartBatch {
  private readonly lines: (string[] | undefined)[]
  private readonly dropped: (Set<number> | undefined)[]

  constructor(readonly parts: readonly UsagePart[]) {
    this.lines = parts.map(() => undefined)
    this.dropped = parts.map(() => undefined)
  }

  /** Every row, in order. */
  refs(): Ref[] {
    const refs: Ref[] = []
    this.parts.forEach((part, p) => {
      for (let i = 0; i < part.count; i++) refs.push(p * PART + i)
    })
    return refs
  }

  hash1 = (ref: Ref): number => this.parts[Math.floor(ref / PART)]!.hashes[2 * (ref % PART)]!
  hash2 = (ref: Ref): number => this.parts[Math.floor(ref / PART)]!.hashes[2 * (ref % PART) + 1]!
  key = (ref: Ref): { provider: string; record_id: string } => lineKey(this.line(ref))
  row = (ref: Ref): UsageRow => decodeLine(this.line(ref))

  /** Leaves the row out of the text. */
  drop(ref: Ref): void {
    const p = Math.floor(ref / PART)
    ;(this.dropped[p] ??= new Set()).add(ref % PART)
  }

  isDropped = (ref: Ref): boolean => this.dropped[Math.floor(ref / PART)]?.has(ref % PART) ?? false

  /**
   * The rows not dropped, as text: a part as encoded when nothing of it was dropped and `asEncoded`
   * holds for it, otherwise line by line, its rows encoded again by `encode` unless `asEncoded`.
   */
  text(asEncoded: (part: UsagePart) => boolean, encode: (row: UsageRow) => string): { text: string; count: number } {
    const pieces: string[] = []
    let count = 0
    this.parts.forEach((part, p) => {
      const dropped = this.dropped[p]
      const keep = asEncoded(part)
      if (keep && !dropped) {
        pieces.push(part.text)
        count += part.count
        return
      }
      const lines = this.partLines(p).filter((_, i) => !dropped?.has(i))
      if (lines.length) pieces.push((keep ? lines : lines.map((l) => encode(decodeLine(l)))).join('\n') + '\n')
      count += lines.length
    })
    return { text: pieces.join(''), count }
  }

  private line(ref: Ref): string {
    return this.partLines(Math.floor(ref / PART))[ref % PART]!
  }

  private partLines(p: number): string[] {
    return (this.lines[p] ??= partLines(this.parts[p]!))
  }
}

/**
 * The batch's rows with every key once: where a key comes more than once, the highest version is
 * kept (the later one of equal versions) and the others are dropped. Keys are told apart by their
 * hashes; rows whose hashes meet are compared by their keys.
 */
export function latestInBatch(batch: PartBatch): Ref[] {
  const refs = batch.refs()
  const byHash = new Map<number, Ref>()
  let met: Set<number> | undefined
  const hashOf = (ref: Ref) => batch.hash1(ref) * 2 ** 21 + (batch.hash2(ref) & 0x1fffff)
  for (const ref of refs) {
    const h = hashOf(ref)
    if (byHash.has(h)) (met ??= new Set()).add(h)
    else byHash.set(h, ref)
  }
  if (!met) return refs
  const latest = new Map<string, Ref>()
  for (const ref of refs) {
    if (!met.has(hashOf(ref))) continue
    const { provider, record_id } = batch.key(ref)
    const k = `${provider}\n${record_id}`
    const prev = latest.get(k)
    if (prev === undefined) latest.set(k, ref)
    else if (batch.row(prev).version <= batch.row(ref).version) {
      batch.drop(prev)
      latest.set(k, ref)
    } else batch.drop(ref)
  }
  return refs.filter((ref) => !batch.isDropped(ref))
}
