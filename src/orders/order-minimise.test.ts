import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { minimiseProjectItem } from './order-minimise.js'
import type { OrderState } from './order-types.js'
import { MarketplaceEvent } from './project-item.schema.js'

const pseudonymise = (id: string) => 'u_' + createHmac('sha256', Buffer.alloc(32, 7)).update(id).digest('base64url')

/** Every personal or free-text value a full Ordering API payload can carry. */
const PERSONAL = {
  uid: '5f1c0a9e7b@aai.eosc-portal.eu',
  email: 'Alice.Kowalska@example.org',
  name: 'Alice Kowalska',
  first: 'Alice',
  last: 'Kowalska',
  projectName: 'Alice thesis on dark matter',
  organization: 'Jagiellonian Dark Matter Lab',
  department: 'Department of Astroparticles',
  webpage: 'https://alice-kowalska.example.org',
  country: 'Poland',
  partner: 'Lithuania',
  group: 'Kowalska research group',
  secretKey: 'ssh_password',
  secretValue: 'hunter2-secret',
  property: 'VM named alice-private-box',
  voucher: 'VOUCHER-ALICE-123',
  statusValue: 'Waiting for Alice to sign the form',
}

const project = {
  id: 1436,
  owner: { uid: PERSONAL.uid, email: PERSONAL.email, name: PERSONAL.name, first_name: PERSONAL.first, last_name: PERSONAL.last },
  project_items: [1],
  attributes: {
    name: PERSONAL.projectName,
    customer_typology: 'research',
    organization: PERSONAL.organization,
    department: PERSONAL.department,
    department_webpage: PERSONAL.webpage,
    scientific_domains: ['Natural Sciences', 'Physical Sciences'],
    country: PERSONAL.country,
    collaboration_countries: [PERSONAL.partner],
    user_group_name: PERSONAL.group,
  },
}

const item = {
  id: 1,
  project_id: 1436,
  status: { value: PERSONAL.statusValue, type: 'ready' },
  attributes: {
    category: 'Discovery',
    service: 'B2FIND',
    offer: 'For Researchers',
    offer_properties: [{ id: 'vm-name', label: 'VM name', value: PERSONAL.property }],
    platforms: ['EUDAT'],
    request_voucher: true,
    supplied_voucher_id: PERSONAL.voucher,
    order_type: 'open_access',
  },
  oms_params: { resource_pid: '21.11170/cI5H3q', provider: '21.11170/prov01', contact: PERSONAL.email },
  user_secrets: { [PERSONAL.secretKey]: PERSONAL.secretValue },
  some_future_field: { anything: true },
}

const events = [
  { timestamp: '2021-05-18T21:07:42Z', type: 'create', resource: 'project_item', project_id: 1436, project_item_id: 1 },
  {
    timestamp: '2021-05-18T21:07:44Z',
    type: 'update',
    resource: 'project_item',
    project_id: 1436,
    project_item_id: 1,
    changes: [
      { field: 'status.value', before: 'created', after: PERSONAL.statusValue },
      { field: 'status.type', before: 'created', after: 'ready' },
    ],
  },
].map((e) => MarketplaceEvent.parse(e))

function minimised(): OrderState {
  const out = minimiseProjectItem(item, { instance: 'eosc', pseudonymise, project, events })
  if (!out.ok) throw new Error(out.errors.join('; '))
  return out.row
}

describe('minimiseProjectItem', () => {
  it('stores none of the personal fields, in any case', () => {
    const text = JSON.stringify(minimised()).toLowerCase()
    for (const [field, value] of Object.entries(PERSONAL)) {
      expect(text.includes(value.toLowerCase()), `${field} leaked`).toBe(false)
    }
  })

  it('keeps the order identity, status history, hints and non-personal project dimensions', () => {
    expect(minimised()).toEqual({
      order_ref: 'eosc:1436:1',
      instance: 'eosc',
      project_id: 1436,
      item_id: 1,
      status: 'ready',
      created_at: '2021-05-18T21:07:42.000Z',
      first_event_at: '2021-05-18T21:07:42.000Z',
      last_event_at: '2021-05-18T21:07:44.000Z',
      status_changes: [{ at: '2021-05-18T21:07:44.000Z', from: 'created', to: 'ready' }],
      status_history: [
        { at: '2021-05-18T21:07:42.000Z', status: 'created' },
        { at: '2021-05-18T21:07:44.000Z', status: 'ready' },
      ],
      active_windows: [{ from: '2021-05-18T21:07:42.000Z', to: null }],
      order_type: 'open_access',
      open_access: true,
      service_name: 'B2FIND',
      offer_name: 'For Researchers',
      category: 'Discovery',
      resource_pid: '21.11170/cI5H3q',
      provider: '21.11170/prov01',
      owner_pseudo: pseudonymise(PERSONAL.uid),
      customer_typology: 'research',
      scientific_domains: ['Natural Sciences', 'Physical Sciences'],
    })
  })

  it('uses only the events of this item', () => {
    const other = MarketplaceEvent.parse({ timestamp: '2021-05-18T20:00:00Z', type: 'create', resource: 'project_item', project_id: 1436, project_item_id: 2 })
    const out = minimiseProjectItem(item, { instance: 'eosc', pseudonymise, project, events: [other, ...events] })
    expect(out.ok && out.row.created_at).toBe('2021-05-18T21:07:42.000Z')
  })

  it('rejects a payload without identity or with an unknown status type, with reasons', () => {
    const noStatus = minimiseProjectItem({ ...item, status: undefined }, { instance: 'eosc', pseudonymise })
    expect(noStatus).toEqual({ ok: false, errors: [expect.stringContaining('status')] })
    const badType = minimiseProjectItem({ ...item, status: { value: 'x', type: 'teleported' } }, { instance: 'eosc', pseudonymise })
    expect(badType.ok).toBe(false)
    expect(minimiseProjectItem('not an object', { instance: 'eosc', pseudonymise }).ok).toBe(false)
  })

  it('tolerates odd descriptive fields instead of losing the order', () => {
    const out = minimiseProjectItem(
      { id: 3, project_id: 9, status: { type: 'registered' }, attributes: { service: 42, order_type: 'brand_new_type' }, oms_params: { resource_pid: 'has\nnewline' } },
      { instance: 'eosc', pseudonymise, project: { id: 9, owner: null, attributes: { customer_typology: 'invented', scientific_domains: 'not a list' } } },
    )
    expect(out.ok).toBe(true)
    if (!out.ok) return
    expect(out.row).toMatchObject({ service_name: null, order_type: null, open_access: false, resource_pid: null, owner_pseudo: null, customer_typology: null, scientific_domains: [] })
  })

  it('ignores a project that is not the item’s own', () => {
    const out = minimiseProjectItem(item, { instance: 'eosc', pseudonymise, project: { ...project, id: 999 } })
    expect(out.ok && out.row.owner_pseudo).toBe(null)
  })

  it('a direct push records the current status as observed at that instant', () => {
    const out = minimiseProjectItem({ ...item, attributes: { ...item.attributes, order_type: 'order_required' } }, { instance: 'pl', pseudonymise, observedAt: '2026-03-01T10:00:00.000Z' })
    expect(out.ok).toBe(true)
    if (!out.ok) return
    expect(out.row.order_ref).toBe('pl:1436:1')
    expect(out.row.status_history).toEqual([{ at: '2026-03-01T10:00:00.000Z', status: 'ready' }])
    expect(out.row.active_windows).toEqual([{ from: '2026-03-01T10:00:00.000Z', to: null }])
  })
})
