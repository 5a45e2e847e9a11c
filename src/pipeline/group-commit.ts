export interface GroupCommitLimits {
  maxRows: number
  maxBytes: number
  maxWaitMs: number
  /** Flushes running at once (default 1); the flush function keeps them in order if it must. */
  maxInFlight?: number
}

interface Batch<T> {
  rows: T[]
  bytes: number
  waiters: { resolve: () => void; reject: (err: unknown) => void }[]
}

/**
 * Groups concurrent submissions into one flush. Up to `maxInFlight` flushes run at once; while
 * they run, new submissions gather into the next batch (so parsing the next batch overlaps the
 * current insert), which flushes as soon as a slot frees. Idle, a batch waits at most `maxWaitMs`.
 * A submission is never split: its promise settles with the flush that carried all its rows.
 */
export class GroupCommit<T> {
  private open: Batch<T> | null = null
  private readonly ready: Batch<T>[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing = 0

  constructor(
    private readonly flush: (rows: T[], requests: number) => Promise<void>,
    private readonly limits: GroupCommitLimits,
  ) {}

  submit(rows: readonly T[], bytes: number): Promise<void> {
    if (rows.length === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const open = this.open
      if (open && (open.rows.length + rows.length > this.limits.maxRows || open.bytes + bytes > this.limits.maxBytes)) {
        this.seal()
      }
      const batch = (this.open ??= { rows: [], bytes: 0, waiters: [] })
      for (const r of rows) batch.rows.push(r)
      batch.bytes += bytes
      batch.waiters.push({ resolve, reject })
      if (batch.rows.length >= this.limits.maxRows || batch.bytes >= this.limits.maxBytes) this.seal()
      else if (this.flushing < this.maxInFlight && !this.timer) this.timer = setTimeout(() => this.seal(), this.limits.maxWaitMs)
      this.pump()
    })
  }

  /** Resolves once everything submitted so far is flushed. */
  async drain(): Promise<void> {
    while (this.open || this.ready.length || this.flushing > 0) {
      this.seal()
      await new Promise((r) => setImmediate(r))
    }
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = null
    }
    if (this.open) {
      this.ready.push(this.open)
      this.open = null
    }
    this.pump()
  }

  private get maxInFlight(): number {
    return this.limits.maxInFlight ?? 1
  }

  private pump(): void {
    if (this.flushing >= this.maxInFlight) return
    const batch = this.ready.shift()
    if (!batch) return
    this.flushing++
    this.flush(batch.rows, batch.waiters.length).then(
      () => batch.waiters.forEach((w) => w.resolve()),
      (err) => batch.waiters.forEach((w) => w.reject(err)),
    ).finally(() => {
      this.flushing--
      // What gathered during the flush goes now rather than waiting for its timer.
      if (!this.ready.length && this.open) this.seal()
      else this.pump()
    })
  }
}
