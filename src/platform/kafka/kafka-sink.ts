import { setMaxListeners } from 'node:events'
import { Partitioners, type Consumer, type EachBatchPayload, type Producer } from 'kafkajs'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { KindWriter, KindWriters, RecordKind } from '../../pipeline/bus.js'
import { groupWriters } from '../../pipeline/grouped-writer.js'
import { retry, type RetryOptions } from '../retry.js'
import { createKafkaClient } from './kafka-client.js'
import type { KafkaSettings } from './kafka-config.js'
import { toBusError } from './kafka-errors.js'
import { kafkaSinkMetrics } from './kafka-metrics.js'
import { messageChunks } from './message-chunks.js'
import { offsetCommits } from './offset-commits.js'
import { keepAlive } from './batch-keepalive.js'
import { decodeBatch, deadLetterMessage, dedupToken, type DeadLetter, type DecodedRow } from './sink-batch.js'
import { deadLetterTopic, ensureTopics, kindOfTopic, RECORD_KINDS, topicFor } from './topics.js'

export interface KafkaSinkOptions {
  logger: Logger
  metrics?: Registry
  groupId: string
  /** A member silent this long is dropped from the group (kafkajs default 30 s). */
  sessionTimeoutMs?: number
  /** Longest a fetch waits on an idle partition (kafkajs default 5 s). */
  maxWaitMs?: number
  /** Waits between attempts while the store, or Kafka for dead letters, is unavailable. */
  backoff?: { minMs: number; maxMs: number }
}

export interface KafkaSink {
  start(): Promise<void>
  /** Leaves the group; a batch not yet stored stays uncommitted and is consumed again later. */
  stop(): Promise<void>
  health(): Promise<{ ok: boolean; detail: Record<string, string> }>
}

type SinkState = 'stopped' | 'starting' | 'consuming' | 'crashed'

/** Where a batch came from and how its writes are retried. */
interface BatchContext {
  kind: RecordKind
  writer: KindWriter
  topic: string
  partition: number
  retryOpts: RetryOptions
}

const DEFAULT_BACKOFF = { minMs: 500, maxMs: 30_000 }
/** Partition batches handled at once (kafkajs keeps each partition's batches in order). */
const PARTITIONS_AT_ONCE = 16

/**
 * Consumes the record topics and writes each consumed batch with its kind's writer, committing
 * offsets only after the rows are stored, so nothing acknowledged by Kafka is lost:
 *  - one write per batch, with a dedup token made of the batch's offsets, so a batch delivered
 *    again after a crash between write and commit is dropped by the store;
 *  - messages that are not JSON or that the writer's decode refuses go to the dead-letter topic
 *    (original key and bytes, plus reason and source headers) before the offset is committed;
 *  - a store failure flagged retriable is retried with backoff for as long as it lasts, with the
 *    partition paused and the group heartbeat kept; a failure the store does not flag retriable is
 *    a refusal of the data: the batch is split until the refused rows are isolated and
 *    dead-lettered (reason write_rejected), so one bad row never blocks a partition.
 * Redelivered dead letters may appear twice in the dead-letter topic; stored rows never do.
 */
export function createKafkaSink(settings: KafkaSettings, kindWriters: KindWriters, opts: KafkaSinkOptions): KafkaSink {
  // Partitions are consumed concurrently; their batches meet in one insert per kind.
  const writers = groupWriters(kindWriters)
  const kafka = createKafkaClient(settings, opts.logger)
  const log = opts.logger.child({ component: 'kafka-sink', groupId: opts.groupId })
  const metrics = kafkaSinkMetrics(opts.metrics)
  const backoff = opts.backoff ?? DEFAULT_BACKOFF
  const sessionTimeout = opts.sessionTimeoutMs ?? 30_000
  const topics = RECORD_KINDS.filter((kind) => writers[kind]).map((kind) => topicFor(settings, kind))
  const lag = new Map<string, Map<number, number>>()
  let state: SinkState = 'stopped'
  /** Partitions whose batch waits for the store; while any does, health says 'retrying'. */
  const waiting = new Set<string>()
  let consumer: Consumer | undefined
  let deadLetters: Producer | undefined
  let stopping = new AbortController()

  function writerFor(topic: string): { kind: RecordKind; writer: KindWriter } {
    const kind = kindOfTopic(settings, topic)
    const writer = kind && writers[kind]
    if (!kind || !writer) throw new Error(`consumed topic ${topic} has no writer`)
    return { kind, writer }
  }

  async function handleBatch(payload: EachBatchPayload, dlq: Producer, commit: ReturnType<typeof offsetCommits>): Promise<void> {
    const { topic, partition, messages } = payload.batch
    const last = messages.at(-1)
    if (!last) return
    const { kind, writer } = writerFor(topic)
    const guard = keepAlive(payload, stopping.signal)
    const waitingId = `${topic}:${partition}`
    let resume: (() => void) | undefined
    const retryOpts: RetryOptions = {
      retries: Infinity,
      ...backoff,
      signal: guard.signal,
      onRetry(err, attempt, delayMs) {
        // Paused, the partition is not fetched again while this batch waits for the store.
        resume ??= payload.pause()
        waiting.add(waitingId)
        log.warn({ topic, partition, attempt, delayMs, code: errorCode(err) }, 'sink cannot store a batch yet; retrying')
      },
    }
    const at: BatchContext = { kind, writer, topic, partition, retryOpts }
    try {
      const { rows, dead } = decodeBatch(messages, writer)
      const rejected = await store(at, rows)
      waiting.delete(waitingId)
      await sendDeadLetters(dlq, at, [...dead, ...rejected])
      payload.resolveOffset(last.offset)
      const next = (BigInt(last.offset) + 1n).toString()
      await commit(payload.commitOffsetsIfNecessary, topic, partition, next)
      recordLag(topic, partition, Number(BigInt(payload.batch.highWatermark) - BigInt(next)))
    } catch (err) {
      if (!guard.signal.aborted) throw err
      // A failed heartbeat (the group is rebalancing) is kafkajs' to handle; a stopping consumer
      // just leaves: the batch is uncommitted and will be consumed again.
      if (guard.failure !== undefined) throw guard.failure
    } finally {
      waiting.delete(waitingId)
      guard.stop()
      resume?.()
    }
  }

  /** Writes rows; returns the ones the store refused (never those it could not reach). */
  async function store(at: BatchContext, rows: DecodedRow[]): Promise<DeadLetter[]> {
    const { kind, writer, topic, partition, retryOpts } = at
    const first = rows[0]
    if (!first) return []
    try {
      await retry(async () => {
        const started = performance.now()
        await writer.write(
          rows.map((r) => r.row),
          { dedupToken: dedupToken(topic, partition, rows) },
        )
        metrics.insertSeconds.observe({ kind }, (performance.now() - started) / 1000)
        metrics.batchRows.observe({ kind }, rows.length)
      }, retryOpts)
      return []
    } catch (err) {
      // retry() only gives up on a retriable failure when aborted; anything else is a refusal.
      if (retryOpts.signal?.aborted) throw err
      if (rows.length === 1) return [{ message: first.message, reason: 'write_rejected', detail: errorDetail(err) }]
      log.warn({ topic, partition, rows: rows.length, code: errorCode(err) }, 'store refused a batch; splitting it')
      const mid = Math.ceil(rows.length / 2)
      const left = await store(at, rows.slice(0, mid))
      const right = await store(at, rows.slice(mid))
      return [...left, ...right]
    }
  }

  async function sendDeadLetters(dlq: Producer, { topic, partition, retryOpts }: BatchContext, dead: DeadLetter[]) {
    if (!dead.length) return
    const target = deadLetterTopic(settings)
    for (const messages of messageChunks(dead.map((d) => deadLetterMessage(d, topic, partition)))) {
      await retry(async () => {
        try {
          await dlq.send({ topic: target, acks: -1, messages })
        } catch (err) {
          throw toBusError(err) // flags a broker outage retriable for retry()
        }
      }, retryOpts)
    }
    const reasons: Record<string, number> = {}
    for (const d of dead) {
      metrics.deadLetters.inc({ reason: d.reason })
      reasons[d.reason] = (reasons[d.reason] ?? 0) + 1
    }
    log.warn({ topic, partition, reasons }, 'moved messages to the dead-letter topic')
  }

  function recordLag(topic: string, partition: number, value: number) {
    let partitions = lag.get(topic)
    if (!partitions) lag.set(topic, (partitions = new Map()))
    partitions.set(partition, value)
    metrics.consumerLag.set({ topic }, sum(partitions.values()))
  }

  /** After a rebalance, partitions this member no longer owns stop counting towards its lag. */
  function keepAssigned(assignment: Record<string, number[]>) {
    for (const [topic, partitions] of lag) {
      const owned = new Set(assignment[topic] ?? [])
      for (const p of partitions.keys()) if (!owned.has(p)) partitions.delete(p)
      metrics.consumerLag.set({ topic }, sum(partitions.values()))
    }
  }

  async function stop() {
    const c = consumer
    const p = deadLetters
    consumer = undefined
    deadLetters = undefined
    // Ends a batch's waits now rather than at its next keep-alive tick.
    stopping.abort(new Error('the sink is stopping'))
    await c?.disconnect()
    await p?.disconnect()
    state = 'stopped'
    waiting.clear()
  }

  return {
    async start() {
      if (state !== 'stopped') throw new Error('the Kafka sink is already running')
      if (!topics.length) throw new Error('the Kafka sink has no writers')
      state = 'starting'
      stopping = new AbortController()
      // Every partition batch in progress listens for the stop.
      setMaxListeners(PARTITIONS_AT_ONCE + 1, stopping.signal)
      try {
        const admin = kafka.admin()
        await admin.connect()
        try {
          await ensureTopics(admin, settings)
        } finally {
          await admin.disconnect()
        }
        const dlq = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner })
        deadLetters = dlq
        await dlq.connect()
        const c = kafka.consumer({
          groupId: opts.groupId,
          sessionTimeout,
          heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
          maxWaitTimeInMs: opts.maxWaitMs ?? 5_000,
          allowAutoTopicCreation: false,
        })
        consumer = c
        const commits = offsetCommits()
        c.on(c.events.GROUP_JOIN, ({ payload }) => {
          keepAssigned(payload.memberAssignment)
          state = 'consuming'
        })
        c.on(c.events.CRASH, ({ payload }) => {
          log.error({ error: payload.error.name, restart: payload.restart }, 'Kafka consumer crashed')
          if (!payload.restart) state = 'crashed'
        })
        await c.connect()
        await c.subscribe({ topics, fromBeginning: true })
        await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: PARTITIONS_AT_ONCE, eachBatch: (p) => handleBatch(p, dlq, commits) })
      } catch (err) {
        await stop().catch(() => undefined)
        throw toBusError(err)
      }
    },
    stop,
    async health() {
      const sink = state === 'consuming' && waiting.size ? 'retrying' : state
      return { ok: state !== 'stopped' && state !== 'crashed', detail: { sink } }
    },
  }
}

function sum(values: Iterable<number>): number {
  let total = 0
  for (const v of values) total += v
  return total
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' || typeof code === 'number' ? String(code) : err instanceof Error ? err.name : typeof err
}

function errorDetail(err: unknown): string {
  return err instanceof Error ? `${errorCode(err)}: ${err.message}` : String(err)
}
