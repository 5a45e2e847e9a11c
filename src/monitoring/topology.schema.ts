import { z } from 'zod'
import { dayStart } from '../aggregators/availability/utc-day.js'

/** Names: printable, no control characters (they would corrupt CSV, HTML and logs). */
export const TopologyName = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')

export const DAY = /^\d{4}-\d{2}-\d{2}$/

/** A real UTC calendar day `YYYY-MM-DD`. */
export const DayString = z.string().refine((d) => {
  if (!DAY.test(d)) return false
  try {
    dayStart(d)
    return true
  } catch {
    return false
  }
}, 'must be a date YYYY-MM-DD')

/** What the built-in prober can check: HTTP(S) and plain TCP (`tcp://host:port`). */
const ProbeUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s)
      if (u.protocol === 'tcp:') return u.hostname !== '' && u.port !== ''
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''
    } catch {
      return false
    }
  }, 'must be an http(s):// URL or tcp://host:port')

export const TopologyEndpoint = z.strictObject({
  hostname: TopologyName,
  service: TopologyName,
  url: ProbeUrl.optional(),
  tags: z.record(z.string().max(256), z.string().max(1024)).optional(),
})
export type TopologyEndpoint = z.infer<typeof TopologyEndpoint>

export const TopologyGroup = z.strictObject({
  group: TopologyName,
  type: TopologyName,
  provider: TopologyName,
  resource: TopologyName.optional(),
  endpoints: z.array(TopologyEndpoint),
})
export type TopologyGroup = z.infer<typeof TopologyGroup>

/** Body of `PUT /v1/topology` (DESIGN §3.4): the whole topology, in force from `date`. */
export const TopologyInput = z
  .strictObject({
    date: DayString.optional(),
    groups: z.array(TopologyGroup).max(100_000),
  })
  .superRefine((t, ctx) => {
    const groups = new Set<string>()
    t.groups.forEach((g, i) => {
      if (groups.has(g.group)) ctx.addIssue({ code: 'custom', path: ['groups', i, 'group'], message: `group ${g.group} is listed twice` })
      groups.add(g.group)
      const endpoints = new Set<string>()
      g.endpoints.forEach((e, j) => {
        const k = `${e.hostname}\u0000${e.service}`
        if (endpoints.has(k)) {
          ctx.addIssue({ code: 'custom', path: ['groups', i, 'endpoints', j], message: `endpoint ${e.hostname} / ${e.service} is listed twice in ${g.group}` })
        }
        endpoints.add(k)
      })
    })
  })
export type TopologyInput = z.infer<typeof TopologyInput>

/** A stored version: the groups, from `date` on. */
export interface TopologyVersion {
  readonly date: string
  readonly groups: readonly TopologyGroup[]
}
