import type { z } from 'zod'
import type { ParsedBody } from './ingest-body.js'

export interface Rejection {
  index: number
  record_id?: string
  errors: string[]
}

export type Outcome<R> = { ok: true; row: R } | { ok: false; errors: string[] }

/** zod issues as `field: message` lines, naming the field the caller must fix. */
export function issueMessages(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = i.path.join('.')
    if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`
    return path ? `${path}: ${i.message}` : i.message
  })
}

/**
 * Runs every body item through `check`, one explicit outcome each: valid rows are kept even when
 * their neighbours are rejected.
 */
export function collect<R>(body: ParsedBody, check: (value: unknown) => Outcome<R>): { rows: R[]; rejected: Rejection[] } {
  const rows: R[] = []
  const rejected: Rejection[] = []
  body.items.forEach((item, index) => {
    if (!item.ok) {
      rejected.push({ index, errors: [item.error] })
      return
    }
    const out = check(item.value)
    if (out.ok) rows.push(out.row)
    else rejected.push({ index, record_id: recordIdOf(item.value), errors: out.errors })
  })
  return { rows, rejected }
}

function recordIdOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && 'record_id' in value) {
    const id = (value as { record_id: unknown }).record_id
    if (typeof id === 'string') return id.slice(0, 256)
  }
  return undefined
}
