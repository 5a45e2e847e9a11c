import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

describe('loadConfig', () => {
  it('has a default for everything: embedded ClickHouse, direct bus, k=5', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({ port: 8080, host: '0.0.0.0', dataDir: './data', suppressionK: 5, userRetentionMonths: 18 })
    expect(c.clickhouse).toEqual({ kind: 'embedded', path: './data/clickhouse' })
    expect(c.kafka).toBeUndefined()
    expect(Object.isFrozen(c)).toBe(true)
  })

  it('lists every problem at once', () => {
    try {
      loadConfig({ EOSC_AM_PORT: 'eighty', EOSC_AM_SUPPRESSION_K: '0', EOSC_AM_CLICKHOUSE_URL: 'not a url' })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const problems = (err as ConfigError).problems.join('\n')
      expect(problems).toMatch(/EOSC_AM_PORT/)
      expect(problems).toMatch(/EOSC_AM_SUPPRESSION_K/)
      expect(problems).toMatch(/EOSC_AM_CLICKHOUSE_URL/)
    }
  })

  it('switches to a server and to Kafka when configured', () => {
    const c = loadConfig({ EOSC_AM_CLICKHOUSE_URL: 'http://ch:8123', EOSC_AM_KAFKA_BROKERS: 'k1:9092, k2:9092' })
    expect(c.clickhouse).toMatchObject({ kind: 'server', url: 'http://ch:8123' })
    expect(c.kafka?.brokers).toEqual(['k1:9092', 'k2:9092'])
  })
})
