import type { EachBatchPayload } from 'kafkajs'

/** How often a batch in progress heartbeats and checks that the consumer still runs. */
const KEEPALIVE_MS = 1_000

/**
 * Keeps the group membership alive while a batch takes long (a slow write, a store outage) and
 * aborts the batch's waits as soon as the consumer stops or the heartbeat fails (rebalance).
 */
export function keepAlive(payload: EachBatchPayload, stopping: AbortSignal /* the sink's stop() */) {
  const controller = new AbortController()
  const onStop = () => controller.abort(stopping.reason)
  stopping.addEventListener('abort', onStop, { once: true })
  if (stopping.aborted) onStop()
  let failure: unknown
  let beating = false
  const timer = setInterval(() => {
    if (!payload.isRunning() || payload.isStale()) {
      controller.abort(new Error('the batch is no longer wanted: the consumer stops or its partition was seeked'))
      return
    }
    if (beating) return
    beating = true
    payload.heartbeat().then(
      () => (beating = false),
      (err: unknown) => {
        failure = err
        controller.abort(err)
      },
    )
  }, KEEPALIVE_MS)
  return {
    signal: controller.signal,
    get failure() {
      return failure
    },
    stop() {
      clearInterval(timer)
      stopping.removeEventListener('abort', onStop)
    },
  }
}
