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

  it('reads the Marketplace settings, and refuses a bad poll schedule or a short trigger secret', () => {
    const mp = { EOSC_AM_MARKETPLACE_URL: 'https://mp.example.org', EOSC_AM_MARKETPLACE_OMS_ID: '7' }
    expect(loadConfig(mp).marketplace).toMatchObject({ instance: 'eosc', pollCron: '*/5 * * * *', pageLimit: 100, retry: { retries: 5, minMs: 500, maxMs: 30_000 } })
    expect(loadConfig({ ...mp, EOSC_AM_MARKETPLACE_TRIGGER_SECRET: 's'.repeat(16) }).marketplace?.triggerSecret).toBe('s'.repeat(16))
    expect(() => loadConfig({ ...mp, EOSC_AM_MARKETPLACE_POLL_CRON: 'every five minutes' })).toThrow(/EOSC_AM_MARKETPLACE_POLL_CRON/)
    expect(() => loadConfig({ ...mp, EOSC_AM_MARKETPLACE_TRIGGER_SECRET: 'short' })).toThrow(/EOSC_AM_MARKETPLACE_TRIGGER_SECRET/)
  })
})
