import { z } from 'zod'
import { PROFILE_STATUSES, type ProfileStatus, type Status } from './status.js'

/**
 * Operations profiles are data (Decision 2): truth tables for AND, OR (or any named operation)
 * over the six profile states, in ARGO's JSON shape (reference §2).
 */
const StateName = z.string().trim().toUpperCase().pipe(z.enum(PROFILE_STATUSES))

/** Operation names are matched case-insensitively and kept upper-case (ARGO writes "AND", "OR"). */
export const OperationName = z.string().trim().toUpperCase().pipe(z.string().min(1).max(64))

const TruthRow = z.object({ a: StateName, b: StateName, x: StateName })

/** Every unordered pair of states, the 21 cells a symmetric 6×6 table is made of. */
function unorderedPairs(): [ProfileStatus, ProfileStatus][] {
  const pairs: [ProfileStatus, ProfileStatus][] = []
  PROFILE_STATUSES.forEach((a, i) => PROFILE_STATUSES.slice(i).forEach((b) => pairs.push([a, b])))
  return pairs
}

const pairKey = (a: ProfileStatus, b: ProfileStatus): string => (a <= b ? `${a}|${b}` : `${b}|${a}`)

/**
 * A user-supplied profile. The engine's A/R accounting knows the six states by name (§3), so the
 * states and the defaults must be ARGO's; each table must give every pair a result, and a pair
 * given in both orders must agree (ARGO mirrors [a][b] to [b][a], §2: tables are symmetric).
 */
export const OperationsProfile = z
  .object({
    name: z.string().trim().min(1).max(128).optional(),
    available_states: z.array(StateName),
    defaults: z.object({ down: StateName, missing: StateName, unknown: StateName }),
    operations: z
      .array(z.object({ name: OperationName, truth_table: z.array(TruthRow) }))
      .min(1),
  })
  .superRefine((profile, ctx) => {
    const states = new Set(profile.available_states)
    if (states.size !== profile.available_states.length || states.size !== PROFILE_STATUSES.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['available_states'],
        message: `must list each of ${PROFILE_STATUSES.join(', ')} exactly once`,
      })
    }
    const expectedDefaults = { down: 'DOWNTIME', missing: 'MISSING', unknown: 'UNKNOWN' } as const
    for (const key of ['down', 'missing', 'unknown'] as const) {
      if (profile.defaults[key] !== expectedDefaults[key]) {
        ctx.addIssue({ code: 'custom', path: ['defaults', key], message: `must be ${expectedDefaults[key]}` })
      }
    }
    const names = new Set<string>()
    profile.operations.forEach((op, i) => {
      if (names.has(op.name)) ctx.addIssue({ code: 'custom', path: ['operations', i, 'name'], message: `duplicate operation ${op.name}` })
      names.add(op.name)
      const cells = new Map<string, ProfileStatus>()
      op.truth_table.forEach((row, j) => {
        const key = pairKey(row.a, row.b)
        const seen = cells.get(key)
        if (seen !== undefined && seen !== row.x) {
          ctx.addIssue({
            code: 'custom',
            path: ['operations', i, 'truth_table', j],
            message: `${row.a} ${op.name} ${row.b} is given as both ${seen} and ${row.x}`,
          })
        }
        cells.set(key, row.x)
      })
      const missing = unorderedPairs().filter(([a, b]) => !cells.has(pairKey(a, b)))
      if (missing.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['operations', i, 'truth_table'],
          message: `missing ${missing.map(([a, b]) => `${a} ${op.name} ${b}`).join(', ')}`,
        })
      }
    })
  })

export type OperationsProfile = z.infer<typeof OperationsProfile>

const row = (a: ProfileStatus, b: ProfileStatus, x: ProfileStatus) => ({ a, b, x })

/**
 * ARGO's default profile, verbatim (reference §2: argo-streaming `profiles/operations.json`,
 * identical to the argo-monitoring "Default operation profile"). 21 rows per operation; the
 * mirror cells come from symmetry.
 */
export const EGI_OPS: OperationsProfile = {
  name: 'egi_ops',
  available_states: ['OK', 'WARNING', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'],
  defaults: { down: 'DOWNTIME', missing: 'MISSING', unknown: 'UNKNOWN' },
  operations: [
    {
      name: 'AND',
      truth_table: [
        row('OK', 'OK', 'OK'), row('OK', 'WARNING', 'WARNING'),
        row('OK', 'UNKNOWN', 'UNKNOWN'), row('OK', 'MISSING', 'MISSING'),
        row('OK', 'CRITICAL', 'CRITICAL'), row('OK', 'DOWNTIME', 'DOWNTIME'),
        row('WARNING', 'WARNING', 'WARNING'), row('WARNING', 'UNKNOWN', 'UNKNOWN'),
        row('WARNING', 'MISSING', 'MISSING'), row('WARNING', 'CRITICAL', 'CRITICAL'),
        row('WARNING', 'DOWNTIME', 'DOWNTIME'),
        row('UNKNOWN', 'UNKNOWN', 'UNKNOWN'), row('UNKNOWN', 'MISSING', 'MISSING'),
        row('UNKNOWN', 'CRITICAL', 'CRITICAL'), row('UNKNOWN', 'DOWNTIME', 'DOWNTIME'),
        row('MISSING', 'MISSING', 'MISSING'), row('MISSING', 'CRITICAL', 'CRITICAL'),
        row('MISSING', 'DOWNTIME', 'DOWNTIME'),
        row('CRITICAL', 'CRITICAL', 'CRITICAL'), row('CRITICAL', 'DOWNTIME', 'CRITICAL'),
        row('DOWNTIME', 'DOWNTIME', 'DOWNTIME'),
      ],
    },
    {
      name: 'OR',
      truth_table: [
        row('OK', 'OK', 'OK'), row('OK', 'WARNING', 'OK'),
        row('OK', 'UNKNOWN', 'OK'), row('OK', 'MISSING', 'OK'),
        row('OK', 'CRITICAL', 'OK'), row('OK', 'DOWNTIME', 'OK'),
        row('WARNING', 'WARNING', 'WARNING'), row('WARNING', 'UNKNOWN', 'WARNING'),
        row('WARNING', 'MISSING', 'WARNING'), row('WARNING', 'CRITICAL', 'WARNING'),
        row('WARNING', 'DOWNTIME', 'WARNING'),
        row('UNKNOWN', 'UNKNOWN', 'UNKNOWN'), row('UNKNOWN', 'MISSING', 'UNKNOWN'),
        row('UNKNOWN', 'CRITICAL', 'CRITICAL'), row('UNKNOWN', 'DOWNTIME', 'UNKNOWN'),
        row('MISSING', 'MISSING', 'MISSING'), row('MISSING', 'CRITICAL', 'CRITICAL'),
        row('MISSING', 'DOWNTIME', 'DOWNTIME'),
        row('CRITICAL', 'CRITICAL', 'CRITICAL'), row('CRITICAL', 'DOWNTIME', 'CRITICAL'),
        row('DOWNTIME', 'DOWNTIME', 'DOWNTIME'),
      ],
    },
  ],
}

/** A complete 6×6 lookup: `table[a][b]`. */
export type TruthTable = Readonly<Record<ProfileStatus, Readonly<Record<ProfileStatus, ProfileStatus>>>>

/** Operation name (upper-case) → its table. */
export type Operations = ReadonlyMap<string, TruthTable>

/** Expands each operation's rows into a full table, mirroring every cell (§1.4 step 2). */
export function compileOperations(profile: OperationsProfile): Operations {
  const compiled = new Map<string, TruthTable>()
  for (const op of profile.operations) {
    const table = Object.fromEntries(PROFILE_STATUSES.map((a) => [a, {} as Record<ProfileStatus, ProfileStatus>])) as Record<
      ProfileStatus,
      Record<ProfileStatus, ProfileStatus>
    >
    for (const { a, b, x } of op.truth_table) {
      table[a][b] = x
      table[b][a] = x
    }
    for (const a of PROFILE_STATUSES) {
      for (const b of PROFILE_STATUSES) {
        // Only a profile that bypassed the schema can get here.
        if (table[a][b] === undefined) throw new Error(`operation ${op.name} has no result for ${a}, ${b}`)
      }
    }
    compiled.set(op.name, table)
  }
  return compiled
}

/** Looks an operation up by name, as the aggregation profile spells it. */
export function operation(ops: Operations, name: string): TruthTable {
  const table = ops.get(name.trim().toUpperCase())
  if (table === undefined) throw new Error(`the operations profile has no operation ${name}`)
  return table
}

/** `a op b`; EXCLUDED is the identity of every operation (§1.4 step 3, Decision 10). */
export function combine(table: TruthTable, a: Status, b: Status): Status {
  if (a === 'EXCLUDED') return b
  if (b === 'EXCLUDED') return a
  return table[a][b]
}
