import type { Message } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { messageChunks } from './message-chunks.js'

const msg = (partition: number | undefined, bytes: number, id: number): Message => ({ key: null, value: 'x'.repeat(bytes), partition, headers: { id: String(id) } })
const ids = (chunk: Message[]) => chunk.map((m) => Number(m.headers?.id))

describe('messageChunks', () => {
  it('bounds the bytes each partition gets per request, not the request total, and keeps order', () => {
    // 10 bytes of value + 3 of header ("id" and one digit) per message; at most 40 per partition.
    const messages = Array.from({ length: 9 }, (_, i) => msg(i % 3, 10, i))
    const chunks = [...messageChunks(messages, 40)]
    expect(chunks.map(ids)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8]])
    const skewed = Array.from({ length: 8 }, (_, i) => msg(i < 6 ? 0 : 1, 10, i))
    expect([...messageChunks(skewed, 40)].map(ids)).toEqual([[0, 1, 2], [3, 4, 5, 6, 7]])
  })

  it('counts a message without a partition against every partition, since it may land on any', () => {
    // Message 3 alone fits partition 1 (13 + 15 bytes), but not with the unplaced message 2.
    const messages = [msg(0, 10, 0), msg(1, 10, 1), msg(undefined, 10, 2), msg(1, 12, 3), msg(undefined, 10, 4)]
    expect([...messageChunks(messages, 40)].map(ids)).toEqual([[0, 1, 2], [3, 4]])
  })

  it('lets one oversized message through alone', () => {
    expect([...messageChunks([msg(0, 100, 0), msg(0, 1, 1)], 40)].map(ids)).toEqual([[0], [1]])
  })
})
