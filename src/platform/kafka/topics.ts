import type { Admin } from 'kafkajs'
import type { RecordKind } from '../../pipeline/bus.js'
import type { KafkaSettings } from './kafka-config.js'

// A Record keyed by RecordKind makes the compiler insist on a topic for every kind.
const KIND_TOPICS: Record<RecordKind, string> = { usage: 'usage', probe: 'probe', downtime: 'downtime', order: 'order' }
const DEAD_LETTER = 'dead-letter'

export const RECORD_KINDS = Object.keys(KIND_TOPICS) as RecordKind[]

export function topicFor(settings: Pick<KafkaSettings, 'topicPrefix'>, kind: RecordKind): string {
  return settings.topicPrefix + KIND_TOPICS[kind]
}

export function deadLetterTopic(settings: Pick<KafkaSettings, 'topicPrefix'>): string {
  return settings.topicPrefix + DEAD_LETTER
}

export function kindOfTopic(settings: Pick<KafkaSettings, 'topicPrefix'>, topic: string): RecordKind | undefined {
  return RECORD_KINDS.find((kind) => topicFor(settings, kind) === topic)
}

/**
 * Creates whichever of the record topics and the dead-letter topic are missing, with the
 * configured partitions and replication factor; returns the names it created. Existing topics are
 * left as they are, and a topic created concurrently by another instance is not an error.
 */
export async function ensureTopics(admin: Admin, settings: KafkaSettings): Promise<string[]> {
  const wanted = [...RECORD_KINDS.map((kind) => topicFor(settings, kind)), deadLetterTopic(settings)]
  const existing = new Set(await admin.listTopics())
  const missing = wanted.filter((t) => !existing.has(t))
  if (!missing.length) return []
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: settings.partitions,
      replicationFactor: settings.replicationFactor,
    })),
  })
  return missing
}
