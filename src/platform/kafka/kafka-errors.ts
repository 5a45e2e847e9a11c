import { InfraError } from '../errors.js'

/**
 * Turns a kafkajs failure into the project's InfraError. A broker that cannot be reached or keeps
 * answering with retriable errors is `BUS_UNAVAILABLE` (retriable: the API answers 503 with
 * Retry-After, the sink waits and retries); anything else the broker refused is `BUS_ERROR`.
 */
export function toBusError(err: unknown): InfraError {
  if (err instanceof InfraError) return err
  if (isUnavailable(err)) return new InfraError('BUS_UNAVAILABLE', 'Kafka is unavailable', { retriable: true, cause: err })
  return new InfraError('BUS_ERROR', 'Kafka rejected the request', { retriable: false, cause: err })
}

function isUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  // kafkajs gives up on a retriable failure (connection refused, leader moving, timeouts) with a
  // non-retriable wrapper — NumberOfRetriesExceeded, itself wrapped again by an outer retrier —
  // so, like kafkajs' own consumer, judge by the original cause: the outage it reports is passing.
  if ((err as { name?: unknown }).name === 'KafkaJSNumberOfRetriesExceeded') return true
  return (originalCause(err) as { retriable?: unknown }).retriable === true
}

function originalCause(err: object): object {
  let e = err
  for (let depth = 0; depth < 10; depth++) {
    const cause = (e as { cause?: unknown }).cause
    if (typeof cause !== 'object' || cause === null || cause === e) break
    e = cause
  }
  return e
}
