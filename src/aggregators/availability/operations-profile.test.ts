import { describe, expect, it } from 'vitest'
import { combine, compileOperations, EGI_OPS, operation, OperationsProfile } from './operations-profile.js'
import { PROFILE_STATUSES, type ProfileStatus } from './status.js'

// The expanded tables of reference §2, copied cell by cell (row op column).
const ORDER = ['OK', 'WARNING', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'] as const
const AND: readonly (readonly ProfileStatus[])[] = [
  ['OK', 'WARNING', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'],
  ['WARNING', 'WARNING', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'],
  ['UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'],
  ['MISSING', 'MISSING', 'MISSING', 'MISSING', 'CRITICAL', 'DOWNTIME'],
  ['CRITICAL', 'CRITICAL', 'CRITICAL', 'CRITICAL', 'CRITICAL', 'CRITICAL'],
  ['DOWNTIME', 'DOWNTIME', 'DOWNTIME', 'DOWNTIME', 'CRITICAL', 'DOWNTIME'],
]
const OR: readonly (readonly ProfileStatus[])[] = [
  ['OK', 'OK', 'OK', 'OK', 'OK', 'OK'],
  ['OK', 'WARNING', 'WARNING', 'WARNING', 'WARNING', 'WARNING'],
  ['OK', 'WARNING', 'UNKNOWN', 'UNKNOWN', 'CRITICAL', 'UNKNOWN'],
  ['OK', 'WARNING', 'UNKNOWN', 'MISSING', 'CRITICAL', 'DOWNTIME'],
  ['OK', 'WARNING', 'CRITICAL', 'CRITICAL', 'CRITICAL', 'CRITICAL'],
  ['OK', 'WARNING', 'UNKNOWN', 'DOWNTIME', 'CRITICAL', 'DOWNTIME'],
]

const cells = (table: readonly (readonly ProfileStatus[])[]) =>
  ORDER.flatMap((a, i) => ORDER.map((b, j) => [a, b, table[i]?.[j]] as [ProfileStatus, ProfileStatus, ProfileStatus]))

const ops = compileOperations(EGI_OPS)

describe('egi_ops AND (reference §2, 36 cells)', () => {
  it.each(cells(AND))('%s AND %s = %s', (a, b, x) => {
    expect(combine(operation(ops, 'AND'), a, b)).toBe(x)
  })
})

describe('egi_ops OR (reference §2, 36 cells)', () => {
  it.each(cells(OR))('%s OR %s = %s', (a, b, x) => {
    expect(combine(operation(ops, 'OR'), a, b)).toBe(x)
  })
})

describe('operations', () => {
  it('agree with the rank form: AND = max, OR = min over their orders (§2)', () => {
    const andRank = ['OK', 'WARNING', 'UNKNOWN', 'MISSING', 'DOWNTIME', 'CRITICAL']
    const orRank = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN', 'DOWNTIME', 'MISSING']
    for (const a of PROFILE_STATUSES) {
      for (const b of PROFILE_STATUSES) {
        expect(combine(operation(ops, 'and'), a, b)).toBe(andRank[Math.max(andRank.indexOf(a), andRank.indexOf(b))])
        expect(combine(operation(ops, 'or'), a, b)).toBe(orRank[Math.min(orRank.indexOf(a), orRank.indexOf(b))])
      }
    }
  })

  it('treat EXCLUDED as the identity of every operation', () => {
    for (const name of ['AND', 'OR']) {
      for (const s of [...PROFILE_STATUSES, 'EXCLUDED'] as const) {
        expect(combine(operation(ops, name), 'EXCLUDED', s)).toBe(s)
        expect(combine(operation(ops, name), s, 'EXCLUDED')).toBe(s)
      }
    }
  })

  it('refuse an operation the profile does not define', () => {
    expect(() => operation(ops, 'XOR')).toThrow(/no operation XOR/)
  })
})

describe('OperationsProfile schema', () => {
  const withTable = (truth_table: unknown[]) => ({ ...EGI_OPS, operations: [{ name: 'AND', truth_table }] })
  const andRows = EGI_OPS.operations[0]?.truth_table ?? []

  it('accepts egi_ops unchanged', () => {
    expect(OperationsProfile.parse(EGI_OPS)).toEqual(EGI_OPS)
  })

  it('normalises case of states and operation names', () => {
    const lower = { ...EGI_OPS, operations: [{ name: 'and', truth_table: andRows.map((r) => ({ a: r.a.toLowerCase(), b: r.b, x: r.x.toLowerCase() })) }] }
    const parsed = OperationsProfile.parse(lower)
    expect(parsed.operations[0]?.name).toBe('AND')
    expect(parsed.operations[0]?.truth_table).toEqual(andRows)
  })

  it('loads a tenant variant as data: MISSING OR DOWNTIME = MISSING (argo-compute-engine template)', () => {
    const orRows = (EGI_OPS.operations[1]?.truth_table ?? []).map((r) =>
      r.a === 'MISSING' && r.b === 'DOWNTIME' ? { ...r, x: 'MISSING' as const } : r,
    )
    const variant = OperationsProfile.parse({ ...EGI_OPS, name: 'old', operations: [{ name: 'OR', truth_table: orRows }] })
    const or = operation(compileOperations(variant), 'OR')
    expect(combine(or, 'MISSING', 'DOWNTIME')).toBe('MISSING')
    expect(combine(or, 'DOWNTIME', 'MISSING')).toBe('MISSING')
  })

  it('refuses an incomplete table, naming the missing pair', () => {
    const result = OperationsProfile.safeParse(withTable(andRows.filter((r) => !(r.a === 'CRITICAL' && r.b === 'DOWNTIME'))))
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toMatch(/CRITICAL AND DOWNTIME/)
  })

  it('refuses a pair given twice with different results', () => {
    const result = OperationsProfile.safeParse(withTable([...andRows, { a: 'DOWNTIME', b: 'CRITICAL', x: 'DOWNTIME' }]))
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toMatch(/given as both CRITICAL and DOWNTIME/)
  })

  it('refuses foreign states and other defaults', () => {
    expect(OperationsProfile.safeParse({ ...EGI_OPS, available_states: [...EGI_OPS.available_states, 'DEGRADED'] }).success).toBe(false)
    expect(OperationsProfile.safeParse({ ...EGI_OPS, available_states: EGI_OPS.available_states.slice(1) }).success).toBe(false)
    expect(OperationsProfile.safeParse({ ...EGI_OPS, defaults: { down: 'CRITICAL', missing: 'MISSING', unknown: 'UNKNOWN' } }).success).toBe(false)
  })

  it('refuses two operations with one name', () => {
    const op = EGI_OPS.operations[0]
    expect(OperationsProfile.safeParse({ ...EGI_OPS, operations: [op, op] }).success).toBe(false)
  })
})
