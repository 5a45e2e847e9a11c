import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, type TestEngine } from './support/test-engine.js'
import { CE, postResults, result, setUp } from './monitoring-support.js'

/** The dirty-day queue is durable: a day changed before a restart is recomputed after it. */
let t: TestEngine
const D = '2026-06-15'
const env = { EOSC_AM_PROBER_ENABLED: 'false', EOSC_AM_AVAILABILITY_QUIET_MS: '3600000', EOSC_AM_AVAILABILITY_MAX_DELAY_MS: '3600000' }

beforeAll(async () => {
  t = await startTestEngine({ env })
  await setUp(t)
})
afterAll(() => t.close())

const siteB = async () => (await t.request({ method: 'GET', url: `/v1/availability/core?from=${D}&to=${D}&group=SITE-B` })).body.rows[0]

describe('recompute queue across a restart', () => {
  it('recomputes after the restart what changed before it', async () => {
    await postResults(t, [result(`${D}T00:00:00Z`, 'ce3.b.example.org', 'compute', CE, 'OK')])
    expect(await siteB()).toMatchObject({ availability: 100 })
    // A late result; the background loop would wait an hour, so the day is still dirty at shutdown.
    await postResults(t, [result(`${D}T12:00:00Z`, 'ce3.b.example.org', 'compute', CE, 'CRITICAL')])
    expect(t.engine.monitoring.queue.size()).toBeGreaterThan(0)
    await t.close()
    t = await startTestEngine({ dataDir: t.dataDir, env })
    expect(t.engine.monitoring.queue.size()).toBeGreaterThan(0)
    expect(await siteB()).toMatchObject({ availability: 50 })
  })
})
