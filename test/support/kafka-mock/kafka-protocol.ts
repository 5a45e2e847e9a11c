/**
 * The few Kafka wire-protocol pieces the mock front reads or rewrites. All of them are the
 * non-flexible (pre-KIP-482) encodings, which is all the mock (and kafkajs 2.2.4 against it) uses.
 */
export const API_FETCH = 1
export const API_METADATA = 3
export const API_FIND_COORDINATOR = 10
export const API_API_VERSIONS = 18
export const API_CREATE_TOPICS = 19

/** Splits a byte stream into Kafka frames (int32 size prefix, prefix included in the frame). */
export function frameReader(onFrame: (frame: Buffer) => void) {
  let chunks: Buffer[] = []
  let length = 0
  // Bytes wanted before looking again: a large frame arrives in many chunks, joined once.
  let wanted = 4
  return (chunk: Buffer) => {
    chunks.push(chunk)
    length += chunk.length
    if (length < wanted) return
    let buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)
    wanted = 4
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0)
      if (buf.length < 4 + size) {
        wanted = 4 + size
        break
      }
      onFrame(buf.subarray(0, 4 + size))
      buf = buf.subarray(4 + size)
    }
    chunks = buf.length ? [buf] : []
    length = buf.length
  }
}

function withSize(body: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(body.length)
  return Buffer.concat([size, body])
}

/** ApiVersions v0–v2 response: size, corr, errorCode, [apiKey, min, max]..., throttle (v1+). */
export function patchApiVersions(f: Buffer): Buffer {
  if (f.readInt16BE(8) !== 0) return f
  const n = f.readInt32BE(10)
  const entries = f.subarray(14, 14 + 6 * n)
  for (let i = 0; i < n; i++) if (entries.readInt16BE(6 * i) === API_CREATE_TOPICS) return f
  const add = Buffer.alloc(6)
  add.writeInt16BE(API_CREATE_TOPICS, 0)
  add.writeInt16BE(0, 2)
  add.writeInt16BE(3, 4)
  const head = Buffer.from(f.subarray(4, 14))
  head.writeInt32BE(n + 1, 6)
  return withSize(Buffer.concat([head, entries, add, f.subarray(14 + 6 * n)]))
}

export interface CreateTopicsRequest {
  version: number
  correlationId: number
  validateOnly: boolean
  topics: { name: string; numPartitions: number; replicationFactor: number; assignedPartitions: number }[]
}

export interface CreateTopicResult {
  name: string
  code: number
  message: string | null
}

/** CreateTopics v0–v3 request (non-flexible encoding). */
export function parseCreateTopics(f: Buffer): CreateTopicsRequest {
  let o = 12
  const i32 = () => ((o += 4), f.readInt32BE(o - 4))
  const i16 = () => ((o += 2), f.readInt16BE(o - 2))
  const str = () => {
    const l = i16()
    if (l < 0) return null
    o += l
    return f.toString('utf8', o - l, o)
  }
  const version = f.readInt16BE(6)
  const correlationId = f.readInt32BE(8)
  str() // clientId
  const topics: CreateTopicsRequest['topics'] = []
  for (let n = i32(); n > 0; n--) {
    const name = str() ?? ''
    const numPartitions = i32()
    const replicationFactor = i16()
    let assignedPartitions = 0
    for (let a = i32(); a > 0; a--) {
      i32() // partition
      o += 4 * i32() // broker ids
      assignedPartitions++
    }
    for (let c = i32(); c > 0; c--) {
      str()
      str()
    }
    topics.push({ name, numPartitions, replicationFactor, assignedPartitions })
  }
  i32() // timeoutMs
  const validateOnly = version >= 1 ? f.readInt8(o) === 1 : false
  return { version, correlationId, validateOnly, topics }
}

export function encodeCreateTopicsResponse(version: number, correlationId: number, results: CreateTopicResult[]): Buffer {
  const b32 = (v: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32BE(v)
    return b
  }
  const b16 = (v: number) => {
    const b = Buffer.alloc(2)
    b.writeInt16BE(v)
    return b
  }
  const bstr = (s: string | null) => (s === null ? b16(-1) : Buffer.concat([b16(Buffer.byteLength(s)), Buffer.from(s)]))
  const parts = [b32(correlationId)]
  if (version >= 2) parts.push(b32(0)) // throttle
  parts.push(b32(results.length))
  for (const r of results) {
    parts.push(bstr(r.name), b16(r.code))
    if (version >= 1) parts.push(bstr(r.message))
  }
  return withSize(Buffer.concat(parts))
}

/**
 * Metadata v0–v2 response (v3+ only adds a leading throttle): broker ports go through `mapPort`,
 * and a controllerId naming no listed broker (the mock says 0) is replaced by the first broker.
 */
export function patchMetadata(f: Buffer, ver: number, mapPort: (port: number) => number): Buffer {
  const out = Buffer.from(f)
  let o = 8
  if (ver >= 3) o += 4 // throttle
  const nb = out.readInt32BE(o)
  o += 4
  const ids: number[] = []
  for (let i = 0; i < nb; i++) {
    ids.push(out.readInt32BE(o))
    o += 4
    o += 2 + out.readInt16BE(o) // host
    out.writeInt32BE(mapPort(out.readInt32BE(o)), o)
    o += 4
    if (ver >= 1) o += 2 + Math.max(out.readInt16BE(o), 0) // rack
  }
  if (ver >= 2) o += 2 + Math.max(out.readInt16BE(o), 0) // clusterId
  const live = ids[0]
  if (ver >= 1 && !ids.includes(out.readInt32BE(o)) && live !== undefined) out.writeInt32BE(live, o)
  return out
}

/** FindCoordinator v0–v2 response: the coordinator's port goes through `mapPort`. */
export function patchFindCoordinator(f: Buffer, ver: number, mapPort: (port: number) => number): Buffer {
  const out = Buffer.from(f)
  let o = 8
  if (ver >= 1) o += 4 // throttle
  o += 2 // errorCode
  if (ver >= 1) o += 2 + Math.max(out.readInt16BE(o), 0) // errorMessage
  o += 4 // nodeId
  o += 2 + Math.max(out.readInt16BE(o), 0) // host
  out.writeInt32BE(mapPort(out.readInt32BE(o)), o)
  return out
}

/**
 * Fetch v0–v11 request: size, apiKey, version, corr, clientId, replicaId, maxWaitMs, ...
 * Lowers maxWaitMs to `maxMs` in place.
 */
export function capFetchWait(f: Buffer, maxMs: number): void {
  const o = 12 + 2 + Math.max(f.readInt16BE(12), 0) + 4
  if (f.readInt32BE(o) > maxMs) f.writeInt32BE(maxMs, o)
}
