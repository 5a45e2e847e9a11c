import { parentPort, workerData } from 'node:worker_threads'
import { encodeUsage } from '../pipeline/usage-part.js'
import { AppError } from '../platform/errors.js'
import { Pseudonymiser, type PeriodKey } from '../privacy/pseudonymiser.js'
import { parseIngestBody } from './ingest-body.js'
import { collectUsage } from './usage-collector.js'
import type { IntakeReady, IntakeReply, IntakeRequest } from './usage-intake.protocol.js'

/**
 * An intake worker: parses, validates, pseudonymises and encodes one request body at a time
 * (UsageIntake). The pseudonym keys come in `workerData`; the raw user ids never leave this thread.
 */
const port = parentPort!
const keys = (workerData as { keys: PeriodKey[] }).keys.map((k) => ({ from: k.from, key: Buffer.from(k.key) }))
const pseudonymiser = new Pseudonymiser(keys)
let levels = new Map<string, boolean>()
let aliases = new Map<string, string>()

port.on('message', (m: IntakeRequest) => {
  if (m.metrics) levels = new Map(m.metrics)
  if (m.aliases) aliases = new Map(m.aliases)
  let reply: IntakeReply
  try {
    const body = parseIngestBody(Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), m.contentType)
    const unknown = new Set<string>()
    const { rows, rejected } = collectUsage(body, m.scope === '*' ? '*' : new Set(m.scope), m.version, {
      isKnownMetric: (id) => levels.has(id) || (unknown.add(id), false),
      pseudonymiser,
      canonical: (resource) => aliases.get(resource) ?? resource,
    })
    const part = encodeUsage(rows, (id) => levels.get(id) ?? false)
    reply = { id: m.id, ok: true, part, rejected, unknownMetrics: [...unknown] }
    port.postMessage(reply, [part.block.buffer as ArrayBuffer, part.hashes.buffer as ArrayBuffer])
  } catch (err) {
    const e = err instanceof AppError ? { status: err.statusCode, code: err.code, message: err.message } : { message: err instanceof Error ? err.message : String(err) }
    port.postMessage({ id: m.id, ok: false, error: e } satisfies IntakeReply)
  }
})

port.postMessage({ ready: true } satisfies IntakeReady)
