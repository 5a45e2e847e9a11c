/** What the Kafka adapters need; config.ts parses the environment into it. */
export interface KafkaSettings {
  brokers: string[]
  clientId: string
  /** Prepended to every topic name, e.g. `eosc-am.` gives `eosc-am.usage`. */
  topicPrefix: string
  /** Used when this process creates a missing topic. */
  partitions: number
  replicationFactor: number
  ssl?: boolean
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
}
