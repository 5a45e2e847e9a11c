import { z } from 'zod'
import { daysInMonth } from '../collectors/rfc3339.js'

export const DIMENSIONS = ['provider', 'resource', 'metric', 'group', 'order', 'installation'] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** API dimension → ClickHouse column (a fixed whitelist: the only identifiers put into SQL text). */
export const COLUMN: Record<Dimension, string> = {
  provider: 'provider',
  resource: 'resource',
  metric: 'metric',
  group: 'user_group',
  order: 'order_ref',
  installation: 'installation',
}

const DAY_OR_MONTH = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/

/** A date or a month as a [start, end) pair of days (`to` is inclusive: to=2026-12 ends 2027-01-01). */
function dayRange(text: string): { first: string; afterLast: string } | null {
  const m = DAY_OR_MONTH.exec(text)
  if (!m) return null
  const y = Number(m[1])
  const mo = Number(m[2])
  if (y < 1970 || y > 2199 || mo < 1 || mo > 12) return null
  if (m[3] === undefined) {
    return { first: `${m[1]}-${m[2]}-01`, afterLast: isoDay(Date.UTC(y, mo, 1)) }
  }
  const d = Number(m[3])
  if (d < 1 || d > daysInMonth(y, mo)) return null
  return { first: text, afterLast: isoDay(Date.UTC(y, mo - 1, d + 1)) }
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)

const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.string().min(1).max(512)).max(100))

const dateOrMonth = z.string().refine((s) => dayRange(s) !== null, 'must be YYYY-MM or YYYY-MM-DD with a real date')

export const UsageQuery = z
  .object({
    from: dateOrMonth.optional(),
    to: dateOrMonth.optional(),
    granularity: z.enum(['day', 'month', 'year', 'total']).default('month'),
    group_by: list.pipe(z.array(z.enum(DIMENSIONS))).default([]),
    provider: list.optional(),
    resource: list.optional(),
    metric: list.optional(),
    group: list.optional(),
    order: list.optional(),
    installation: list.optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .transform((q, ctx) => {
    const now = new Date()
    const defaultTo = isoDay(now.getTime())
    const defaultFrom = isoDay(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1))
    const from = dayRange(q.from ?? defaultFrom)!.first
    const to = dayRange(q.to ?? defaultTo)!.afterLast
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must not be after to' })
    const filters: Partial<Record<Dimension, string[]>> = {}
    for (const d of DIMENSIONS) if (q[d]) filters[d] = q[d]
    return { from, to, granularity: q.granularity, groupBy: [...new Set(q.group_by)].filter((d) => d !== 'metric'), filters, format: q.format }
  })

export type UsageQuery = z.output<typeof UsageQuery>
