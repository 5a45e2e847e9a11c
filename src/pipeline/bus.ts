/**
 * The bus port: collectors hand validated, pseudonymised rows to it; it makes them durable.
 * `direct` writes to ClickHouse in-process (group commit); `kafka` produces with acks=-1 and a
 * sink consumer writes to ClickHouse. `publish` resolves only once the rows are durable.
 */
export type RecordKind = 'usage' | 'probe' | 'downtime' | 'order'

export interface Bus {
  publish(kind: RecordKind, rows: readonly Record<string, unknown>[]): Promise<void>
  close(): Promise<void>
  /** For /readyz: a short state per component, ok=false when ingest cannot be durable now. */
  health(): Promise<{ ok: boolean; detail: Record<string, string> }>
}

/**
 * What a sink does with one kind's rows. The same writer serves the direct bus and the Kafka
 * sink, so both paths store identical data. `dedupToken` is stable for a retried batch.
 */
export interface KindWriter {
  /** Re-validates a row arriving from outside the process (Kafka); throws nothing, returns a reason. */
  decode(value: unknown): { ok: true; row: Record<string, unknown> } | { ok: false; reason: string }
  /** The partition key (Kafka): rows with the same key stay ordered. */
  key(row: Record<string, unknown>): string
  /**
   * `dedupToken` (Kafka: topic:partition:offsets) makes ClickHouse drop a retried identical batch.
   * The direct bus passes none: it never re-sends a batch, and the token doubles insert cost.
   */
  write(rows: readonly Record<string, unknown>[], opts: { dedupToken?: string }): Promise<void>
}

export type KindWriters = Partial<Record<RecordKind, KindWriter>>
