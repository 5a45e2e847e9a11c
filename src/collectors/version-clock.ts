/**
 * Versions for ReplacingMergeTree rows: microseconds since the epoch, strictly increasing within
 * the process. Assigned once at the collector and carried with the row, so a redelivered Kafka
 * message keeps its version and a later re-send of the same record wins.
 */
export class VersionClock {
  private last = 0

  constructor(private readonly now: () => number = Date.now) {}

  next(): number {
    const v = Math.max(this.now() * 1000, this.last + 1)
    this.last = v
    return v
  }
}
