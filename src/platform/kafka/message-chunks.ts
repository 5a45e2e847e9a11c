import type { Message } from 'kafkajs'

/**
 * Payload bytes per partition in one produce request. Kafka's default message.max.bytes (1 MB)
 * bounds one record batch, i.e. everything for one partition in a request; half of it leaves room
 * for per-record overhead.
 */
const MAX_PARTITION_BYTES = 512 * 1024

/**
 * Splits messages into produce requests in which no partition gets more than `maxBytes` of keys,
 * values and headers. A message without a partition may land on any, so it counts against the
 * request's total. Order is kept: a partition's messages never move to an earlier request.
 */
export function* messageChunks(messages: Iterable<Message>, maxBytes = MAX_PARTITION_BYTES): Generator<Message[]> {
  let chunk: Message[] = []
  let total = 0
  let unassigned = 0
  const perPartition = new Map<number, number>()
  for (const m of messages) {
    const size = byteLength(m.key) + byteLength(m.value) + headerBytes(m.headers)
    const p = m.partition
    const used = p === undefined ? total : (perPartition.get(p) ?? 0) + unassigned
    if (chunk.length && used + size > maxBytes) {
      yield chunk
      chunk = []
      total = 0
      unassigned = 0
      perPartition.clear()
    }
    chunk.push(m)
    total += size
    if (p === undefined) unassigned += size
    else perPartition.set(p, (perPartition.get(p) ?? 0) + size)
  }
  if (chunk.length) yield chunk
}

function byteLength(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length
}

function headerBytes(headers: Message['headers']): number {
  let n = 0
  for (const [k, v] of Object.entries(headers ?? {})) {
    n += Buffer.byteLength(k)
    for (const x of Array.isArray(v) ? v : [v]) n += byteLength(x)
  }
  return n
}
