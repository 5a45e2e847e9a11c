import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { Store } from '../platform/clickhouse/store.js'

export const AuditEntry = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()),
})
export type AuditEntry = z.infer<typeof AuditEntry>

const Row = z.object({ id: z.string(), at: z.string(), actor: z.string(), action: z.string(), detail: z.string() })

/**
 * The audit log (DESIGN §3.6, `GET /v1/audit`): administrative acts on personal data and access.
 * Details hold counts and token names — never a user identifier or pseudonym.
 */
export class AuditLog {
  private readonly writing = new Set<Promise<unknown>>()

  constructor(private readonly store: Store) {}

  async record(actor: string, action: string, detail: Record<string, unknown>): Promise<AuditEntry> {
    const id = randomUUID()
    const at = new Date().toISOString()
    const written = this.store.command(
      `INSERT INTO audit_log (at, id, actor, action, detail)
       VALUES (parseDateTime64BestEffort({at:String}, 3, 'UTC'), {id:String}, {actor:String}, {action:String}, {detail:String})`,
      { at, id, actor, action, detail: JSON.stringify(detail) },
    )
    this.writing.add(written)
    try {
      await written
    } finally {
      this.writing.delete(written)
    }
    return { id, at, actor, action, detail }
  }

  /** Waits for entries still being written (those recorded after a response went out). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writing])
  }

  /** Newest first. */
  async list(limit: number): Promise<AuditEntry[]> {
    const rows = await this.store.query(
      `SELECT id, formatDateTime(at, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS at, actor, action, detail
       FROM audit_log ORDER BY at DESC, id LIMIT {limit:UInt32}`,
      { limit },
      Row,
    )
    return rows.map((r) => ({ ...r, at: r.at.replace(/\.(\d{3})\d*Z$/, '.$1Z'), detail: JSON.parse(r.detail) as Record<string, unknown> }))
  }
}
