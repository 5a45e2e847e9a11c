import { describe, expect, it } from 'vitest'
import { linkUsage, type LinkCandidate, type UsageForLinkage } from './linkage.js'
import { resolveOrderResource, type ResourceLookups } from './order-resource.js'

const t = (day: number) => new Date(Date.UTC(2026, 2, day)).toISOString()
const ms = (day: number) => Date.parse(t(day))

const PID = '21.11170/cI5H3q'
const ALICE = 'u_alice'
const BOB = 'u_bob'

/** Ready on day 10, closed on day 20. */
const order: LinkCandidate = { order_ref: 'eosc:1:1', resource: PID, owner_pseudo: ALICE, active_windows: [{ from: t(10), to: t(20) }] }

const usage = (over: Partial<UsageForLinkage> = {}): UsageForLinkage => ({
  resource: PID,
  user: ALICE,
  startMs: ms(12),
  endMs: ms(13),
  order: null,
  ...over,
})

describe('linkUsage', () => {
  it('explicit_order_ref: the record names the order, whoever the user', () => {
    expect(linkUsage(usage({ order: 'eosc:1:1', user: BOB }), [order])).toEqual({ method: 'explicit_order_ref', order_ref: 'eosc:1:1' })
  })

  it('explicit_order_ref for an order not polled yet', () => {
    expect(linkUsage(usage({ order: 'eosc:77:3' }), [])).toEqual({ method: 'explicit_order_ref', order_ref: 'eosc:77:3' })
  })

  it('a named order of another resource is not trusted; the row is linked by the other rules', () => {
    const other: LinkCandidate = { ...order, order_ref: 'eosc:2:1', resource: 'egi.other' }
    expect(linkUsage(usage({ order: 'eosc:2:1' }), [order, other])).toEqual({ method: 'user_resource_window', order_ref: 'eosc:1:1' })
  })

  it('user_resource_window: same user and resource while the order is active', () => {
    expect(linkUsage(usage(), [order])).toEqual({ method: 'user_resource_window', order_ref: 'eosc:1:1' })
  })

  it('usage overlapping the start of the window is linked (the order covered part of it)', () => {
    expect(linkUsage(usage({ startMs: ms(5), endMs: ms(11) }), [order]).method).toBe('user_resource_window')
  })

  it('usage before ready is not linked', () => {
    expect(linkUsage(usage({ startMs: ms(1), endMs: ms(9) }), [order])).toEqual({ method: 'resource_only', order_ref: null })
  })

  it('usage after closed is not linked', () => {
    expect(linkUsage(usage({ startMs: ms(21), endMs: ms(25) }), [order])).toEqual({ method: 'resource_only', order_ref: null })
  })

  it('two orders that both qualify are ambiguous, not guessed', () => {
    const second: LinkCandidate = { ...order, order_ref: 'eosc:1:2', active_windows: [{ from: t(11), to: null }] }
    expect(linkUsage(usage(), [second, order])).toEqual({ method: 'ambiguous', order_ref: null, candidates: ['eosc:1:1', 'eosc:1:2'] })
  })

  it('one order with two windows both touched is still one order', () => {
    const reopened: LinkCandidate = { ...order, active_windows: [{ from: t(10), to: t(12) }, { from: t(13), to: null }] }
    expect(linkUsage(usage({ startMs: ms(11), endMs: ms(14) }), [reopened])).toEqual({ method: 'user_resource_window', order_ref: 'eosc:1:1' })
  })

  it('another user, or no user at all, gives resource_only', () => {
    expect(linkUsage(usage({ user: BOB }), [order]).method).toBe('resource_only')
    expect(linkUsage(usage({ user: null }), [order]).method).toBe('resource_only')
    expect(linkUsage(usage({ user: '' }), [{ ...order, owner_pseudo: '' }]).method).toBe('resource_only')
  })
})

describe('resolveOrderResource + linkUsage', () => {
  const aliases = new Map([
    ['B2FIND', PID],
    ['eudat.b2find', PID],
    [PID, PID],
  ])
  const lookups: ResourceLookups = {
    resolveAlias: (a) => aliases.get(a) ?? null,
    providerOf: (pid) => (pid === PID ? 'eudat' : null),
  }
  const hints = { resource_pid: null, service_name: null, provider: null }

  it('prefers oms_params.resource_pid, canonicalised through the aliases', () => {
    expect(resolveOrderResource({ ...hints, resource_pid: 'eudat.b2find', service_name: 'Something else' }, lookups)).toEqual({ resource: PID, provider: 'eudat', via: 'oms_params' })
    expect(resolveOrderResource({ ...hints, resource_pid: '21.11170/new001', provider: 'prov-x' }, lookups)).toEqual({ resource: '21.11170/new001', provider: 'prov-x', via: 'oms_params' })
  })

  it('else resolves the service name through the aliases; the topology provider wins over the OMS hint', () => {
    expect(resolveOrderResource({ ...hints, service_name: 'B2FIND', provider: 'hinted' }, lookups)).toEqual({ resource: PID, provider: 'eudat', via: 'alias' })
  })

  it('an unknown alias leaves the order unresolved, so usage links resource_only', () => {
    const resolved = resolveOrderResource({ ...hints, service_name: 'Unregistered Service', provider: 'prov-y' }, lookups)
    expect(resolved).toEqual({ resource: null, provider: 'prov-y', via: 'unresolved' })
    const candidate: LinkCandidate = { ...order, resource: resolved.resource }
    expect(linkUsage(usage(), [candidate])).toEqual({ method: 'resource_only', order_ref: null })
  })

  it('usage naming an unknown alias matches no order either', () => {
    const raw = 'not.registered'
    expect(linkUsage(usage({ resource: lookups.resolveAlias(raw) ?? raw }), [order])).toEqual({ method: 'resource_only', order_ref: null })
  })
})
