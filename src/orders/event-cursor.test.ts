import { describe, expect, it } from 'vitest'
import { advanceCursor, freshEvents, keyEvents, requestLimit } from './event-cursor.js'
import { MarketplaceEvent } from './project-item.schema.js'

const T = '2026-03-01T10:00:05.000Z'
const T2 = '2026-03-01T10:00:06.000Z'

const ev = (timestamp: string, over: Record<string, unknown> = {}) =>
  MarketplaceEvent.parse({ timestamp, type: 'create', resource: 'project_item', project_id: 1, project_item_id: 1, ...over })

describe('keyEvents', () => {
  it('gives identical events of one second distinct keys by rank', () => {
    const [a, b] = keyEvents([ev(T), ev(T)])
    expect(a?.key).toMatch(/#0$/)
    expect(b?.key).toMatch(/#1$/)
    expect(a?.key.split('#')[0]).toBe(b?.key.split('#')[0])
  })

  it('is the same for a re-delivered event, and differs for different events', () => {
    expect(keyEvents([ev(T)])[0]?.key).toBe(keyEvents([ev(T)])[0]?.key)
    expect(keyEvents([ev(T, { project_item_id: 2 })])[0]?.key).not.toBe(keyEvents([ev(T)])[0]?.key)
  })

  it('hashes no changed values except the status type, so no digest of message text is kept', () => {
    const msg = (content: string) => ev(T, { type: 'update', resource: 'message', message_id: 4, changes: [{ field: 'content', before: 'a', after: content }] })
    expect(keyEvents([msg('hello Alice')])[0]?.key).toBe(keyEvents([msg('other text')])[0]?.key)
    const st = (after: string) => ev(T, { type: 'update', changes: [{ field: 'status.type', before: 'created', after }] })
    expect(keyEvents([st('ready')])[0]?.key).not.toBe(keyEvents([st('closed')])[0]?.key)
  })
})

describe('cursor', () => {
  it('drops only events of the cursor second already seen', () => {
    const page = keyEvents([ev(T), ev(T, { project_item_id: 2 }), ev(T2)])
    const cursor = { timestamp: T, seen: [page[0]!.key] }
    expect(freshEvents(cursor, page).map((k) => k.key)).toEqual([page[1]!.key, page[2]!.key])
  })

  it('moves to the latest second of the page, remembering what it saw there', () => {
    const page = keyEvents([ev(T), ev(T2), ev(T2, { project_item_id: 2 })])
    expect(advanceCursor({ timestamp: '1970-01-01T00:00:00.000Z', seen: [] }, page)).toEqual({ timestamp: T2, seen: [page[1]!.key, page[2]!.key] })
  })

  it('inside the same second it accumulates, without duplicates', () => {
    const page = keyEvents([ev(T), ev(T, { project_item_id: 2 })])
    const c = advanceCursor({ timestamp: T, seen: [page[0]!.key] }, page)
    expect(c).toEqual({ timestamp: T, seen: [page[0]!.key, page[1]!.key] })
  })

  it('never moves backwards', () => {
    const c = { timestamp: T2, seen: ['x#0'] }
    expect(advanceCursor(c, keyEvents([ev(T)]))).toEqual(c)
  })

  it('asks for room beyond the re-delivered events', () => {
    expect(requestLimit({ timestamp: T, seen: ['a#0', 'b#0'] }, 20)).toBe(22)
  })
})
