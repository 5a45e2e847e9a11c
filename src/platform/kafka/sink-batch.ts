import type { KafkaMessage, Message } from 'kafkajs'
import type { KindWriter } from '../../pipeline/bus.js'
import type { DeadLetterReason } from './kafka-metrics.js'

export interface DecodedRow {
  row: Record<string, unknown>
  message: KafkaMessage
}

export interface DeadLetter {
  message: KafkaMessage
  reason: DeadLetterReason
  /** Why, for whoever triages the dead-letter topic; never logged (it may quote the record). */
  detail?: string
}

// fatal: broken UTF-8 is a bad message, not something to repair silently with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Splits a consumed batch into rows the writer accepts and messages for the dead-letter topic. */
export function decodeBatch(messages: readonly KafkaMessage[], writer: KindWriter): { rows: DecodedRow[]; dead: DeadLetter[] } {
  const rows: DecodedRow[] = []
  const dead: DeadLetter[] = []
  for (const message of messages) {
    let value: unknown
    try {
      value = JSON.parse(utf8.decode(message.value ?? new Uint8Array()))
    } catch {
      dead.push({ message, reason: 'invalid_json' })
      continue
    }
    const decoded = writer.decode(value)
    if (decoded.ok) rows.push({ row: decoded.row, message })
    else dead.push({ message, reason: 'invalid_record', detail: decoded.reason })
  }
  return { rows, dead }
}

/** The dead-letter message: the original key and value bytes, and where and why it failed. */
export function deadLetterMessage(d: DeadLetter, topic: string, partition: number): Message {
  const headers: Record<string, string> = {
    reason: d.reason,
    'source-topic': topic,
    'source-partition': String(partition),
    'source-offset': d.message.offset,
  }
  if (d.detail) headers.detail = d.detail.slice(0, 1_000)
  return { key: d.message.key, value: d.message.value, headers }
}

/** The dedup token of a run of messages: stable when the same offsets are delivered again. */
export function dedupToken(topic: string, partition: number, rows: readonly DecodedRow[]): string {
  return `${topic}:${partition}:${rows[0]?.message.offset}-${rows.at(-1)?.message.offset}`
}
