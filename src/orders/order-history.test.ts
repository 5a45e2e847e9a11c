import { describe, expect, it } from 'vitest'
import { deriveHistory, mergeOrderStates, orderChanges } from './order-history.js'
import type { OrderState, StatusChange } from './order-types.js'

const t = (s: number) => new Date(Date.UTC(2026, 2, 1, 10, 0, s)).toISOString()

function state(over: Partial<OrderState>): OrderState {
  return {
    order_ref: 'eosc:1:1',
    instance: 'eosc',
    project_id: 1,
    item_id: 1,
    status: 'created',
    created_at: null,
    first_event_at: null,
    last_event_at: null,
    status_changes: [],
    status_history: [],
    active_windows: [],
    order_type: 'order_required',
    open_access: false,
    service_name: 'Example Cloud',
    offer_name: 'Standard',
    category: 'Compute',
    resource_pid: null,
    provider: null,
    owner_pseudo: 'u_owner',
    customer_typology: null,
    scientific_domains: [],
    ...over,
  }
}

describe('deriveHistory', () => {
  it('starts with the status the first change left, at creation', () => {
    const s = state({
      created_at: t(0),
      status: 'ready',
      status_changes: [
        { at: t(1), from: 'created', to: 'registered' },
        { at: t(9), from: 'registered', to: 'ready' },
      ],
    })
    expect(deriveHistory(s)).toEqual([
      { at: t(0), status: 'created' },
      { at: t(1), status: 'registered' },
      { at: t(9), status: 'ready' },
    ])
  })

  it('without any change the current status held since creation', () => {
    expect(deriveHistory(state({ created_at: t(0), status: 'ready' }))).toEqual([{ at: t(0), status: 'ready' }])
  })

  it('falls back to the first event seen when the create event predates the cursor', () => {
    expect(deriveHistory(state({ first_event_at: t(30), status: 'ready' }))).toEqual([{ at: t(30), status: 'ready' }])
  })

  it('knows nothing without any time', () => {
    expect(deriveHistory(state({ status: 'ready' }))).toEqual([])
  })
})

describe('orderChanges', () => {
  it('chains changes sharing one whole second, whatever order they were stored in', () => {
    const changes: StatusChange[] = [
      { at: t(5), from: 'in_progress', to: 'ready' },
      { at: t(5), from: 'registered', to: 'in_progress' },
      { at: t(2), from: 'created', to: 'registered' },
    ]
    expect(orderChanges(changes).map((c) => c.to)).toEqual(['registered', 'in_progress', 'ready'])
  })
})

describe('mergeOrderStates', () => {
  it('is idempotent: merging the same observation again changes nothing', () => {
    const next = state({ created_at: t(0), first_event_at: t(0), last_event_at: t(4), status: 'ready', status_changes: [{ at: t(4), from: 'created', to: 'ready' }] })
    const once = mergeOrderStates(undefined, next)
    expect(mergeOrderStates(once, next)).toEqual(once)
    expect(once.active_windows).toEqual([{ from: t(4), to: null }])
  })

  it('corrects a history guessed before later events arrived', () => {
    // First poll saw only the create event, while the item had meanwhile been closed.
    const first = mergeOrderStates(undefined, state({ created_at: t(0), first_event_at: t(0), last_event_at: t(0), status: 'closed' }))
    expect(first.active_windows).toEqual([])
    const later = state({
      first_event_at: t(10),
      last_event_at: t(20),
      status: 'closed',
      status_changes: [
        { at: t(10), from: 'created', to: 'ready' },
        { at: t(20), from: 'ready', to: 'closed' },
      ],
    })
    const merged = mergeOrderStates(first, later)
    expect(merged.created_at).toBe(t(0))
    expect(merged.first_event_at).toBe(t(0))
    expect(merged.last_event_at).toBe(t(20))
    expect(merged.status_history.map((e) => e.status)).toEqual(['created', 'ready', 'closed'])
    expect(merged.active_windows).toEqual([{ from: t(10), to: t(20) }])
  })

  it('takes descriptive fields from the fresh observation', () => {
    const merged = mergeOrderStates(state({ customer_typology: null }), state({ customer_typology: 'research', status: 'approved' }))
    expect(merged.customer_typology).toBe('research')
    expect(merged.status).toBe('approved')
  })

  it('keeps the project fields when the fresh observation was made without the project', () => {
    const before = state({ owner_pseudo: 'u_owner', customer_typology: 'research', scientific_domains: ['Physics'] })
    const merged = mergeOrderStates(before, state({ owner_pseudo: null, customer_typology: null, scientific_domains: [], status: 'closed' }))
    expect(merged).toMatchObject({ owner_pseudo: 'u_owner', customer_typology: 'research', scientific_domains: ['Physics'], status: 'closed' })
    // A fresh project still replaces them.
    const other = mergeOrderStates(before, state({ owner_pseudo: 'u_other', customer_typology: 'project', scientific_domains: [] }))
    expect(other).toMatchObject({ owner_pseudo: 'u_other', customer_typology: 'project', scientific_domains: [] })
  })

  it('an open-access item is active from creation (the reference B2FIND example)', () => {
    const s = mergeOrderStates(
      undefined,
      state({
        order_type: 'open_access',
        open_access: true,
        created_at: '2021-05-18T21:07:42.000Z',
        status: 'ready',
        status_changes: [{ at: '2021-05-18T21:07:44.000Z', from: 'created', to: 'ready' }],
      }),
    )
    expect(s.active_windows).toEqual([{ from: '2021-05-18T21:07:42.000Z', to: null }])
  })
})
