import { Worker } from 'node:worker_threads'
import type { MetricCatalog } from '../catalog/metric-catalog.js'
import type { ResourceAliases } from '../catalog/resource-aliases.js'
import type { UsagePart } from '../pipeline/usage-part.js'
import { AppError } from '../platform/errors.js'
import type { PeriodKey } from '../privacy/pseudonymiser.js'
import type { Rejection } from './collect.js'
import type { ProviderScope } from './usage-collector.js'
import type { IntakeReady, IntakeReply, IntakeRequest } from './usage-intake.protocol.js'
import type { VersionClock } from './version-clock.js'

export interface UsageIntakeDeps {
  catalog: Pick<MetricCatalog, 'ensureFresh' | 'list' | 'revision'>
  aliases?: Pick<ResourceAliases, 'ensureFresh' | 'entries' | 'revision'>
  /** The pseudonym keyring, handed to the workers (threads of this process). */
  keys: readonly PeriodKey[]
  clock: VersionClock
  workers: number
}

export interface Collected {
  part: UsagePart
  rejected: Rejection[]
}

interface IntakeWorker {
  worker: Worker
  /** Resolves once the worker has loaded; rejects if it ended before. */
  ready: Promise<void>
  pending: Map<number, { resolve: (r: IntakeReply) => void; reject: (err: unknown) => void }>
  /** The catalog and alias revisions this worker holds. */
  metrics: number
  aliases: number
}

const WORKER_URL = new URL('./usage-intake.worker.mjs', import.meta.url)

/**
 * Usage intake on worker threads: each request body is parsed, validated, pseudonymised and
 * encoded for the writer (UsagePart) on the least busy of a few workers, so the main thread only
 * moves bytes — the per-record work runs on the other cores, in parallel with the inserts.
 * The workers hold copies of the metric catalog and the resource aliases, refreshed with the
 * request after either changes. A body naming a metric unknown to the copy makes the catalog look
 * for it (another process may have registered it) and, when found, is collected again.
 */
export class UsageIntake {
  private readonly pool: IntakeWorker[] = []
  private nextId = 0
  private closed = false

  constructor(private readonly deps: UsageIntakeDeps) {}

  /** Starts the workers and resolves once each is ready (loading one takes about a second). */
  async start(): Promise<void> {
    while (this.pool.length < this.deps.workers) this.spawn()
    await Promise.all(this.pool.map((w) => w.ready))
  }

  async collect(body: Buffer, contentType: string | undefined, scope: ProviderScope): Promise<Collected> {
    await this.deps.aliases?.ensureFresh()
    const version = this.deps.clock.next()
    const request = { body, contentType, scope: scope === '*' ? ('*' as const) : [...scope], version }
    let reply = await this.run(request)
    if (reply.unknownMetrics.length) {
      const before = this.deps.catalog.revision
      await this.deps.catalog.ensureFresh(reply.unknownMetrics)
      if (this.deps.catalog.revision !== before) reply = await this.run(request)
    }
    return { part: reply.part, rejected: reply.rejected }
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.pool.splice(0).map((w) => w.worker.terminate()))
  }

  private async run(request: Omit<IntakeRequest, 'id'>): Promise<Extract<IntakeReply, { ok: true }>> {
    if (this.closed) throw new Error('usage intake is closed')
    const w = this.leastBusy()
    const id = this.nextId++
    const message: IntakeRequest = { ...request, id }
    const { catalog, aliases } = this.deps
    if (w.metrics !== catalog.revision) {
      message.metrics = catalog.list().map((d) => [d.id, d.aggregation !== 'sum'])
      w.metrics = catalog.revision
    }
    if (aliases && w.aliases !== aliases.revision) {
      message.aliases = [...aliases.entries()]
      w.aliases = aliases.revision
    }
    const reply = await new Promise<IntakeReply>((resolve, reject) => {
      w.pending.set(id, { resolve, reject })
      w.worker.postMessage(message)
    })
    if (reply.ok) return reply
    const { status, code, message: text } = reply.error
    throw status ? new AppError(status, code ?? 'INVALID_BODY', text) : new Error(`usage intake failed: ${text}`)
  }

  private leastBusy(): IntakeWorker {
    if (this.pool.length < this.deps.workers) return this.spawn()
    return this.pool.reduce((a, b) => (b.pending.size < a.pending.size ? b : a))
  }

  private spawn(): IntakeWorker {
    const keys = this.deps.keys.map((k) => ({ from: k.from, key: new Uint8Array(k.key) }))
    let ready = () => {}
    let failed = (_: unknown) => {}
    const w: IntakeWorker = {
      worker: new Worker(WORKER_URL, { workerData: { keys } }),
      ready: new Promise((resolve, reject) => {
        ready = resolve
        failed = reject
      }),
      pending: new Map(),
      metrics: -1,
      aliases: -1,
    }
    w.worker.on('message', (reply: IntakeReply | IntakeReady) => {
      if ('ready' in reply) return ready()
      const p = w.pending.get(reply.id)
      w.pending.delete(reply.id)
      p?.resolve(reply)
    })
    // A worker that dies fails its requests (the clients retry) and is replaced by the next request.
    const fail = (err: unknown) => {
      failed(err)
      const i = this.pool.indexOf(w)
      if (i >= 0) this.pool.splice(i, 1)
      for (const p of w.pending.values()) p.reject(err)
      w.pending.clear()
    }
    w.worker.on('error', fail)
    w.worker.on('exit', (code) => fail(new Error(`usage intake worker exited with code ${code}`)))
    // Kept referenced while loading (the process waits for it at start), then left to close().
    // A worker spawned by a request that fails to load fails that request instead.
    w.ready.then(() => w.worker.unref(), () => undefined)
    this.pool.push(w)
    return w
  }
}
