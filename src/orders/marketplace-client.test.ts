import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startFakeMarketplace, type FakeMarketplace } from '../../test/support/fake-marketplace/fake-marketplace.js'
import { createMarketplaceClient, type MarketplaceClient } from './marketplace-client.js'

let mp: FakeMarketplace
let client: MarketplaceClient

beforeEach(async () => {
  mp = await startFakeMarketplace()
  client = createMarketplaceClient({ baseUrl: mp.url + '/', omsId: mp.omsId, token: mp.token, timeoutMs: 2_000 })
})
afterEach(() => mp.close())

describe('marketplace client', () => {
  it('reads events after a timestamp, objects by id, with the X-User-Token header', async () => {
    const p = mp.addProject({ at: '2026-03-01T10:00:00Z' })
    const i = mp.addItem(p, { at: '2026-03-01T10:00:01Z' })
    const events = await client.listEvents('2026-03-01T10:00:00.500Z', 10)
    expect(events).toEqual([{ timestamp: '2026-03-01T10:00:01Z', type: 'create', resource: 'project_item', project_id: p, project_item_id: i }])
    expect(await client.getProject(p)).toMatchObject({ id: p, project_items: [i] })
    expect(await client.getProjectItem(p, i)).toMatchObject({ id: i, project_id: p, status: { type: 'created' } })
  })

  it('honours the page limit', async () => {
    const p = mp.addProject({ at: '2026-03-01T10:00:00Z' })
    for (let k = 0; k < 5; k++) mp.addItem(p, { at: '2026-03-01T10:00:01Z' })
    expect(await client.listEvents('2026-03-01T09:00:00Z', 3)).toHaveLength(3)
  })

  it('answers null for a project or item the OMS cannot see', async () => {
    expect(await client.getProject(404)).toBeNull()
    const p = mp.addProject()
    expect(await client.getProjectItem(p, 99)).toBeNull()
  })

  it('marks outages retriable and refusals not', async () => {
    mp.failNext(1, { status: 503 })
    await expect(client.listEvents('2026-03-01T00:00:00Z', 5)).rejects.toMatchObject({ retriable: true, code: 'MARKETPLACE_UNAVAILABLE' })
    mp.failNext(1, { status: 429 })
    await expect(client.getProject(1)).rejects.toMatchObject({ retriable: true })
    const stranger = createMarketplaceClient({ baseUrl: mp.url, omsId: mp.omsId, token: 'wrong' })
    await expect(stranger.listEvents('2026-03-01T00:00:00Z', 5)).rejects.toMatchObject({ retriable: false, code: 'MARKETPLACE_UNAUTHORISED' })
    const wrongOms = createMarketplaceClient({ baseUrl: mp.url, omsId: '999', token: mp.token })
    await expect(wrongOms.listEvents('2026-03-01T00:00:00Z', 5)).rejects.toMatchObject({ retriable: false, code: 'MARKETPLACE_REJECTED' })
  })

  it('times out a Marketplace that does not answer, retriably', async () => {
    const impatient = createMarketplaceClient({ baseUrl: mp.url, omsId: mp.omsId, token: mp.token, timeoutMs: 50 })
    mp.delayNext(1, 300)
    await expect(impatient.listEvents('2026-03-01T00:00:00Z', 5)).rejects.toMatchObject({ retriable: true, message: expect.stringContaining('50 ms') })
  })

  it('an unreachable Marketplace is retriable', async () => {
    const gone = await startFakeMarketplace()
    const url = gone.url
    await gone.close()
    const c = createMarketplaceClient({ baseUrl: url, omsId: '7', token: 't', timeoutMs: 2_000 })
    await expect(c.listEvents('2026-03-01T00:00:00Z', 5)).rejects.toMatchObject({ retriable: true, code: 'MARKETPLACE_UNAVAILABLE' })
  })
})
