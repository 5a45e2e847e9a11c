import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN, startTestEngine, type TestEngine } from './support/test-engine.js'
import { CE, postResults, result, setUp } from './monitoring-support.js'

/** `eosc-am report availability` prints the monthly report from the same storage the API writes. */
const ROOT = fileURLToPath(new URL('..', import.meta.url))
let t: TestEngine

beforeAll(async () => {
  t = await startTestEngine({ env: { EOSC_AM_PROBER_ENABLED: 'false' } })
  await setUp(t)
  await postResults(t, [
    result('2026-02-03T00:00:00Z', 'ce1.a.example.org', 'compute', CE, 'OK'),
    result('2026-02-03T00:00:00Z', 'ce3.b.example.org', 'compute', CE, 'OK'),
    result('2026-02-03T12:00:00Z', 'ce3.b.example.org', 'compute', CE, 'CRITICAL'),
  ])
  // The CLI opens the embedded storage itself: this process lets go of it first.
  await t.close()
})
afterAll(() => undefined)

const cli = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, EOSC_AM_DATA_DIR: t.dataDir, EOSC_AM_ADMIN_TOKEN: ADMIN, EOSC_AM_LOG_LEVEL: 'error' },
  })

describe('eosc-am report availability', () => {
  it('prints the monthly report as CSV', async () => {
    const { stdout } = await cli(['report', 'availability', '--report', 'core', '--month', '2026-02', '--format', 'csv'])
    const lines = stdout.trim().split('\r\n')
    expect(lines[0]).toMatch(/^report,month,group,type,provider,resource,availability,reliability,/)
    // SITE-A: storage has no result at all, so the group is MISSING all month: undefined A/R.
    expect(lines[1]).toMatch(/^core,2026-02,SITE-A,SITES,prov-a,21\.11170\/aaa,,,0,1,0,0,28,28,/)
    // SITE-B: unknown on days 1–2, OK 12 h on day 3, CRITICAL from then on: 43,200 / (26 × 86,400).
    expect(lines[2]).toMatch(/^core,2026-02,SITE-B,SITES,prov-b,,1\.92308,1\.92308,/)
  })

  it('explains a bad invocation', async () => {
    await expect(cli(['report', 'availability', '--month', '2026-02'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--report NAME is required') })
  })
})
