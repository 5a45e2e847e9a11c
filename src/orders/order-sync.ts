import cron, { type ScheduledTask } from 'node-cron'
import type { Logger } from 'pino'
import type { Metrics } from '../platform/metrics.js'
import type { MarketplaceClient } from './marketplace-client.js'
import { createOrderPoller, type OrderPollerOptions, type OrderStore, type PollProgress, type PollResult } from './order-poller.js'

export type TriggerSource = 'http' | 'cron' | 'recovery'

export interface OrderSyncOptions {
  client: MarketplaceClient
  store: OrderStore
  instance: string
  pseudonymise: (id: string, atMs?: number) => string
  logger: Logger
  metrics: Metrics
  /** node-cron expression for the scheduled poll; none: polls only on triggers. */
  cron?: string
  /** After a failed poll, another one is scheduled with this backoff until one succeeds. */
  recovery?: { minMs: number; maxMs: number }
  poller?: Pick<OrderPollerOptions, 'pageLimit' | 'retry' | 'fetchConcurrency' | 'initialTimestamp'>
  now?: () => number
}

export type PollOutcome = { ok: true; result: PollResult } | { ok: false; error: string }

export interface OrderSyncHealth {
  state: 'idle' | 'ok' | 'failing'
  lastSuccessAt: string | null
  lastFailureAt: string | null
  consecutiveFailures: number
  lastError: string | null
}

export interface OrderSync {
  /** Schedules a poll (coalesced with others); resolves when that poll has ended. Never rejects. */
  trigger(source: TriggerSource): Promise<void>
  /** One poll now, reporting each stored page; rejects if it fails (the CLI). */
  pollNow(onProgress?: (p: PollProgress) => void): Promise<PollResult>
  health(): OrderSyncHealth
  /** Listens to the end of every poll (tests, diagnostics); returns the unsubscribe function. */
  onPoll(listener: (outcome: PollOutcome) => void): () => void
  close(): Promise<void>
}

const DEFAULT_RECOVERY = { minMs: 10_000, maxMs: 5 * 60_000 }

/**
 * The order intake loop: the Marketplace trigger, the cron schedule and recovery after failures all
 * funnel into the poller's coalescing `trigger`. State for /readyz and counters for /metrics are
 * kept here; the poller itself stays free of both.
 */
export function createOrderSync(opts: OrderSyncOptions): OrderSync {
  const { metrics, logger } = opts
  const now = opts.now ?? Date.now
  const recovery = opts.recovery ?? DEFAULT_RECOVERY
  const listeners = new Set<(o: PollOutcome) => void>()
  const health: OrderSyncHealth = { state: 'idle', lastSuccessAt: null, lastFailureAt: null, consecutiveFailures: 0, lastError: null }
  let recoveryTimer: NodeJS.Timeout | null = null
  let closed = false

  const emit = (o: PollOutcome) => {
    for (const l of listeners) l(o)
  }

  const poller = createOrderPoller({
    ...opts.poller,
    client: opts.client,
    store: opts.store,
    instance: opts.instance,
    pseudonymise: opts.pseudonymise,
    logger,
    observer: {
      pollSucceeded(result) {
        metrics.orderPolls.inc({ outcome: 'ok' })
        metrics.orderEvents.inc(result.events)
        metrics.orderItemsStored.inc({ via: 'poll' }, result.orders)
        metrics.orderEventsSkipped.inc(result.skipped)
        metrics.orderPollLastSuccess.set(now() / 1000)
        metrics.orderPollFailures.set(0)
        Object.assign(health, { state: 'ok', lastSuccessAt: new Date(now()).toISOString(), consecutiveFailures: 0, lastError: null })
        if (recoveryTimer) clearTimeout(recoveryTimer)
        recoveryTimer = null
        emit({ ok: true, result })
      },
      pollFailed(err) {
        metrics.orderPolls.inc({ outcome: 'failed' })
        health.consecutiveFailures++
        metrics.orderPollFailures.set(health.consecutiveFailures)
        const message = err instanceof Error ? err.message : String(err)
        Object.assign(health, { state: 'failing', lastFailureAt: new Date(now()).toISOString(), lastError: message })
        scheduleRecovery()
        emit({ ok: false, error: message })
      },
      retrying(op) {
        metrics.orderPollRetries.inc({ op })
      },
    },
  })

  /** Exponential, jittered, capped: a long outage costs one poll per `maxMs`, not a storm. */
  function scheduleRecovery(): void {
    if (closed || recoveryTimer) return
    const ceiling = Math.min(recovery.maxMs, recovery.minMs * 2 ** Math.min(health.consecutiveFailures - 1, 30))
    const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
    logger.info({ delay_ms: delay, failures: health.consecutiveFailures }, 'order poll: scheduling a recovery poll')
    recoveryTimer = setTimeout(() => {
      recoveryTimer = null
      void sync.trigger('recovery')
    }, delay)
    recoveryTimer.unref()
  }

  let task: ScheduledTask | null = null
  if (opts.cron) {
    task = cron.schedule(opts.cron, () => void sync.trigger('cron'), { name: `orders-poll-${opts.instance}`, timezone: 'UTC' })
  }

  const sync: OrderSync = {
    trigger(source) {
      if (closed) return Promise.resolve()
      metrics.orderTriggers.inc({ source })
      return poller.trigger()
    },
    pollNow: (onProgress) => poller.pollOnce(onProgress),
    health: () => ({ ...health }),
    onPoll(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      closed = true
      if (recoveryTimer) clearTimeout(recoveryTimer)
      recoveryTimer = null
      if (task) await task.destroy()
      await poller.close()
    },
  }
  return sync
}

/**
 * The /readyz detail for the order intake. Informational: a Marketplace outage does not make the
 * engine unready (usage ingest still works), it shows here and in /metrics instead.
 */
export function readinessDetail(sync: OrderSync | null): Record<string, string> {
  if (!sync) return { marketplace_poll: 'not configured' }
  const h = sync.health()
  return {
    marketplace_poll: h.state,
    marketplace_last_success: h.lastSuccessAt ?? 'never',
    marketplace_consecutive_failures: String(h.consecutiveFailures),
    ...(h.lastError ? { marketplace_last_error: h.lastError } : {}),
  }
}
