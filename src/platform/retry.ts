import { setTimeout as sleep } from 'node:timers/promises'

export interface RetryOptions {
  /** Attempts after the first one; `Infinity` retries until success or `signal` aborts. */
  retries: number
  /** Backoff bounds: the n-th wait is drawn from [d/2, d] with d = min(maxMs, minMs * 2^n). */
  minMs: number
  maxMs: number
  /** Which failures are worth another attempt; default: the error says `retriable: true`. */
  isRetriable?: (err: unknown) => boolean
  /** Called before each wait, e.g. to log or to record that the dependency is down. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Stops waiting and retrying; the promise then rejects with the signal's reason. */
  signal?: AbortSignal
}

/**
 * Runs `fn` until it succeeds, retrying retriable failures with bounded, jittered exponential
 * backoff (jitter keeps many clients that failed together from retrying together). The decision
 * looks at the error's `retriable` flag, never at its message.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const isRetriable = opts.isRetriable ?? isFlaggedRetriable
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted()
    try {
      return await fn(attempt)
    } catch (err) {
      if (attempt >= opts.retries || !isRetriable(err) || opts.signal?.aborted) throw err
      const ceiling = Math.min(opts.maxMs, opts.minMs * 2 ** Math.min(attempt, 30))
      const delay = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)
      opts.onRetry?.(err, attempt + 1, delay)
      // An abort during the wait surfaces as the signal's own reason, as it does before an attempt.
      await sleep(delay, undefined, { signal: opts.signal }).catch(() => opts.signal?.throwIfAborted())
    }
  }
}

export function isFlaggedRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true
}
