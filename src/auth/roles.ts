import { z } from 'zod'

export const Role = z.enum(['admin', 'provider', 'monitor', 'funder', 'sla_manager'])
export type Role = z.infer<typeof Role>

/** Who is calling. `providers` scopes a provider token; other roles carry none. */
export interface Principal {
  name: string
  role: Role
  providers: readonly string[]
}
