import { randomUUID } from 'node:crypto'
import type { Kafka, KafkaMessage } from 'kafkajs'

/** Reads `count` messages of a topic from the beginning with a throwaway group (bounded: 30 s). */
export async function readTopic(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, sessionTimeout: 6_000, maxWaitTimeInMs: 500 })
  const got: KafkaMessage[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${got.length} of ${count} from ${topic}`)), 30_000)
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message)
          if (got.length >= count) (clearTimeout(timer), resolve())
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return got
}
