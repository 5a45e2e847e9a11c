import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestEngine, usageRecord, type TestEngine } from './support/test-engine.js'

// Debian's Chromium (apt-get install chromium; .ci/run installs it). Missing means a failed test, not a skipped one.
const CHROMIUM = '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const XSS = '<img src=x onerror="window.__xss=1">'

let t: TestEngine | undefined
let context: BrowserContext | undefined
let page: Page
let base: string
let funder: string
let workDir: string
const pageErrors: string[] = []
// Page-side expressions as strings: the test's tsconfig has no DOM library.
const TOKEN_IN_STORAGE = "sessionStorage.getItem('eosc-am.token')"

/** `n` users each using `value` of cpu_hours on `resource` of `provider` on the 10th of `month`. */
const cell = (month: string, provider: string, n: number, value: number, resource = 'res-1') =>
  Array.from({ length: n }, (_, i) =>
    usageRecord({ record_id: `${month}-${provider}-${resource}-${i}`, provider, resource, value, user: `u${i}@egi.eu`, start: `${month}-10T00:00:00Z`, end: `${month}-10T05:00:00Z` }),
  )

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the dashboard test needs Chromium at ${CHROMIUM}: apt-get install chromium (CI: .ci/run)`)
  t = await startTestEngine()
  await t.metric('cpu_hours', 'sum', 'h')
  // Providers appear in one month each, so suppression only spreads within a month (k = 5):
  // Jan both visible; Feb cesnet primary + csc complementary, grnet visible; Mar both primary.
  const records = [
    ...cell('2026-01', 'cyfronet', 6, 10),
    ...cell('2026-01', 'egi-fedcloud', 5, 2),
    ...cell('2026-02', 'cesnet', 2, 1),
    ...cell('2026-02', 'csc', 5, 3),
    ...cell('2026-02', 'grnet', 6, 4),
    ...cell('2026-03', 'ifca', 2, 1),
    ...cell('2026-03', 'surf', 3, 1),
    ...cell('2026-05', 'xss-prov', 5, 1, XSS),
  ]
  const ingest = await t.request({ method: 'POST', url: '/v1/usage-records', body: records })
  expect(ingest.body).toEqual({ accepted: records.length, rejected: [] })
  funder = await t.token('funder')

  await t.engine.app.listen({ port: 0, host: '127.0.0.1' })
  base = `http://127.0.0.1:${(t.engine.app.server.address() as AddressInfo).port}`
  workDir = mkdtempSync(join(tmpdir(), 'eosc-am-dashboard-'))
  context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    timeout: 15_000,
    viewport: { width: 1200, height: 900 },
    acceptDownloads: true,
  })
  page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(8_000)
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`)
  })
}, 30_000)

afterAll(async () => {
  await context?.close()
  await t?.close()
  if (workDir) rmSync(join(workDir, 'profile'), { recursive: true, force: true })
})

const cellTexts = (selector: string) => page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()))

async function showReport(from: string, to: string, groupBy: string) {
  await page.fill('#from', from)
  await page.fill('#to', to)
  await page.selectOption('#group-by', groupBy)
  await page.click('#load')
  await page.locator('#status', { hasText: `row(s), ${from}-01 to ` }).waitFor()
}

describe('GET /', () => {
  it('serves the page without a token, under a strict CSP, outside the OpenAPI document', async () => {
    const res = await t!.request({ method: 'GET', url: '/', token: null })
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/)
    expect(csp).not.toContain('unsafe-inline')
    const openapi = await t!.request({ method: 'GET', url: '/docs/json', token: null })
    expect(Object.keys(openapi.body.paths)).not.toContain('/')
  })
})

describe('the dashboard in a browser', () => {
  it('asks for a token, keeps it out of the URL, and shows a funder the suppressed table and chart', async () => {
    await page.goto(`${base}/`)
    await expect.poll(() => page.textContent('#token-state')).toBe('No token set.')
    await page.fill('#token', funder)
    await page.click('text=Use token')
    await page.locator('#token-state', { hasText: 'A token is set' }).waitFor()
    expect(page.url()).toBe(`${base}/`)
    expect(await page.inputValue('#token')).toBe('')
    expect(await page.evaluate(TOKEN_IN_STORAGE)).toBe(funder)

    await showReport('2026-01', '2026-03', 'provider')
    expect(await cellTexts('#table thead th')).toEqual(['period', 'provider', 'metric', 'unit', 'value', 'users', 'records'])
    const rows = await page.locator('#table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)))
    expect(rows).toEqual([
      ['2026-01', 'cyfronet', 'cpu_hours', 'h', '60', '6', '6'],
      ['2026-01', 'egi-fedcloud', 'cpu_hours', 'h', '10', '5', '5'],
      ['2026-02', 'cesnet', 'cpu_hours', 'h', 'suppressed', 'suppressed', 'suppressed'],
      ['2026-02', 'csc', 'cpu_hours', 'h', 'suppressed', 'suppressed', 'suppressed'],
      ['2026-02', 'grnet', 'cpu_hours', 'h', '24', '6', '6'],
      ['2026-03', 'ifca', 'cpu_hours', 'h', 'suppressed', 'suppressed', 'suppressed'],
      ['2026-03', 'surf', 'cpu_hours', 'h', 'suppressed', 'suppressed', 'suppressed'],
    ])
    expect(await page.locator('#table td.suppressed').count()).toBe(12)
    expect(await page.textContent('#table caption')).toContain('fewer than 5 distinct users')

    // One bar per month: Jan complete, Feb leaving out suppressed cells, Mar entirely suppressed.
    const bars = await page.locator('#chart rect.bar').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-period'), r.getAttribute('class')]))
    expect(bars).toEqual([
      ['2026-01', 'bar'],
      ['2026-02', 'bar partial'],
      ['2026-03', 'bar hidden-value'],
    ])
    const labels = await cellTexts('#chart > text')
    expect(labels).toEqual(expect.arrayContaining(['70', '≥ 24', 'suppressed', '2026-01', '2026-02', '2026-03']))

    const shot = join(workDir, 'dashboard.png')
    await page.screenshot({ path: shot, fullPage: true })
    console.info(`dashboard screenshot: ${shot}`)
    expect(pageErrors).toEqual([])
  }, 30_000)

  it('downloads the same report as CSV, fetched with the token', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')])
    expect(download.suggestedFilename()).toBe('usage-2026-01-2026-03.csv')
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\r\n')
    expect(lines[0]).toBe('period,provider,metric,unit,value,records,users,suppressed')
    expect(lines).toContain('2026-02,grnet,cpu_hours,h,24,6,6,false')
    expect(lines).toHaveLength(8)
  }, 30_000)

  it('shows the API error message readably', async () => {
    await page.fill('#from', '2026-03')
    await page.fill('#to', '2026-01')
    await page.click('#load')
    await expect.poll(() => page.textContent('#error')).toContain('from must not be after to')
    expect(await page.locator('#table tbody tr').count()).toBe(0)

    await page.evaluate("sessionStorage.setItem('eosc-am.token', 'eam_not-a-token')")
    await page.fill('#from', '2026-01')
    await page.click('#load')
    await expect.poll(() => page.textContent('#error')).toBe('unknown or revoked token (UNAUTHENTICATED)')
    await page.click('#forget')
    pageErrors.length = 0 // Chromium logs the two 4xx answers above; they were the point.
    expect(await page.evaluate(TOKEN_IN_STORAGE)).toBeNull()
  }, 30_000)

  it('inserts API data as text, never as markup', async () => {
    await page.fill('#token', funder)
    await page.click('text=Use token')
    await showReport('2026-05', '2026-05', 'resource')
    expect(await cellTexts('#table tbody td:nth-child(2)')).toEqual([XSS])
    expect(await page.locator('#table img').count()).toBe(0)
    expect(await page.evaluate('window.__xss')).toBeUndefined()
    expect(pageErrors).toEqual([])
  }, 30_000)
})
