import type { Message } from 'kafkajs'

/**
 * Payload bytes per produce request. Kafka's default message.max.bytes (1 MB) bounds one record
 * batch, i.e. everything for one partition in a request; half of it leaves room for per-record
 * overhead when all messages share a key.
 */
const MAX_CHUNK_BYTES = 512 * 1024

/** Splits messages into produce requests of at most `maxBytes` of keys, values and headers. */
export function* messageChunks(messages: Iterable<Message>, maxBytes = MAX_CHUNK_BYTES): Generator<Message[]> {
  let chunk: Message[] = []
  let bytes = 0
  for (const m of messages) {
    const size = byteLength(m.key) + byteLength(m.value) + headerBytes(m.headers)
    if (chunk.length && bytes + size > maxBytes) {
      yield chunk
      chunk = []
      bytes = 0
    }
    chunk.push(m)
    bytes += size
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
