import { createHash } from 'node:crypto'

/*
 * The dashboard at `/`: one static document, no external assets. It reads `/v1/usage` with a
 * bearer token the user types in (kept in sessionStorage, never in a URL) and renders a table
 * and an SVG chart with DOM methods and textContent only — API data never goes through HTML
 * parsing. The script contains no template literals so it can live in this one.
 */

const STYLE = `
:root { color-scheme: light; --ink: #1c2430; --muted: #5b6675; --line: #d8dee6; --accent: #0b57a4; --bg: #f4f6f9; --bad: #a4262c; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header { background: var(--accent); color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 19px; font-weight: 600; }
header p { margin: 2px 0 0; font-size: 13px; opacity: .85; }
main { max-width: 1100px; margin: 0 auto; padding: 18px 24px 40px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin-bottom: 16px; }
h2 { font-size: 15px; margin: 0 0 10px; }
form { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
input, select, button { font: inherit; padding: 6px 9px; border: 1px solid #b9c2cd; border-radius: 5px; background: #fff; color: var(--ink); }
input[type=password] { width: 22em; }
button { cursor: pointer; background: var(--accent); border-color: var(--accent); color: #fff; }
button.secondary { background: #fff; color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
.status { font-size: 13px; color: var(--muted); margin: 8px 0 0; }
.error { margin: 0 0 16px; padding: 10px 14px; border: 1px solid var(--bad); border-left-width: 5px; border-radius: 6px; background: #fdf3f3; color: var(--bad); }
.error[hidden], [hidden] { display: none; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { text-align: left; font-size: 13px; color: var(--muted); padding-bottom: 6px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.suppressed { color: var(--muted); font-style: italic; background: repeating-linear-gradient(45deg, #fff, #fff 4px, #f0f2f5 4px, #f0f2f5 8px); }
tbody tr:hover { background: #f7f9fc; }
.table-wrap { overflow-x: auto; }
.chart-head { display: flex; gap: 12px; align-items: center; justify-content: space-between; }
svg#chart { display: block; max-width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
svg .bar { fill: var(--accent); }
svg .bar.partial { fill: #4f8fcf; }
svg .bar.hidden-value { fill: url(#hatch); stroke: #9aa5b1; }
svg .axis { stroke: #9aa5b1; }
.legend { font-size: 12px; color: var(--muted); margin: 6px 0 0; }
`

const SCRIPT = `
const TOKEN_KEY = 'eosc-am.token'
const SVG_NS = 'http://www.w3.org/2000/svg'
const $ = (id) => document.getElementById(id)
const fmt = new Intl.NumberFormat('en', { maximumFractionDigits: 2 })
let lastRows = []
let generation = 0

function el(tag, text, cls) {
  const e = document.createElement(tag)
  if (text !== undefined) e.textContent = String(text)
  if (cls) e.className = cls
  return e
}
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag)
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]))
  if (text !== undefined) e.textContent = String(text)
  return e
}
function month(d) { return d.toISOString().slice(0, 7) }

function showError(message) {
  const box = $('error')
  box.textContent = message
  box.hidden = !message
}
function setStatus(text) { $('status').textContent = text }

function refreshTokenState() {
  const has = sessionStorage.getItem(TOKEN_KEY) !== null
  $('token-state').textContent = has ? 'A token is set for this browser tab.' : 'No token set.'
  $('forget').disabled = !has
  $('load').disabled = !has
  $('csv').disabled = !has
}

function usageUrl(format) {
  const p = new URLSearchParams({ from: $('from').value, to: $('to').value, granularity: 'month', group_by: $('group-by').value })
  if (format) p.set('format', format)
  return '/v1/usage?' + p.toString()
}

async function api(url) {
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token === null) throw new Error('Enter an API token first.')
  let res
  try {
    res = await fetch(url, { headers: { authorization: 'Bearer ' + token }, cache: 'no-store' })
  } catch (e) {
    throw new Error('The API could not be reached (' + String(e && e.message ? e.message : e) + ').')
  }
  if (!res.ok) {
    let message = 'The API answered HTTP ' + res.status + '.'
    try {
      const body = await res.json()
      if (body && body.error && typeof body.error.message === 'string') message = body.error.message + ' (' + String(body.error.code) + ')'
    } catch (_) { /* not JSON: keep the status line */ }
    throw new Error(message)
  }
  return res
}

async function loadReport() {
  const mine = ++generation
  showError('')
  setStatus('Loading…')
  try {
    const res = await api(usageUrl())
    const body = await res.json()
    if (mine !== generation) return
    lastRows = body.rows
    renderTable(body)
    renderMetricChoice()
    renderChart()
    setStatus(body.rows.length + ' row(s), ' + body.from + ' to ' + body.to + '.')
  } catch (e) {
    if (mine !== generation) return
    lastRows = []
    $('table').replaceChildren()
    $('chart').replaceChildren()
    $('chart-metric').replaceChildren()
    $('legend').textContent = ''
    showError(e.message)
    setStatus('')
  }
}

function renderTable(body) {
  const dims = body.group_by.filter((d) => d !== 'metric')
  const table = $('table')
  table.replaceChildren()
  const caption = el('caption', body.suppression_k === null
    ? 'Values as stored (your token sees its data unsuppressed).'
    : 'Cells with fewer than ' + body.suppression_k + ' distinct users are suppressed, with complementary suppression.')
  const head = el('tr')
  for (const c of ['period'].concat(dims, ['metric', 'unit'])) head.append(el('th', c))
  for (const c of ['value', 'users', 'records']) head.append(el('th', c, 'num'))
  const tbody = el('tbody')
  for (const r of body.rows) {
    const tr = el('tr')
    tr.dataset.suppressed = String(r.suppressed)
    for (const c of ['period'].concat(dims, ['metric', 'unit'])) tr.append(el('td', r[c] === undefined ? '' : r[c]))
    for (const c of ['value', 'users', 'records']) {
      if (r.suppressed) {
        const td = el('td', 'suppressed', 'num suppressed')
        td.title = 'hidden: too few distinct users in this cell'
        tr.append(td)
      } else {
        tr.append(el('td', r[c] === null ? '–' : fmt.format(r[c]), 'num'))
      }
    }
    tbody.append(tr)
  }
  if (body.rows.length === 0) {
    const tr = el('tr')
    const td = el('td', 'No usage in this period.')
    td.colSpan = dims.length + 5
    tr.append(td)
    tbody.append(tr)
  }
  const thead = el('thead')
  thead.append(head)
  table.append(caption, thead, tbody)
}

function renderMetricChoice() {
  const select = $('chart-metric')
  const before = select.value
  const metrics = [...new Set(lastRows.map((r) => r.metric))].sort()
  select.replaceChildren(...metrics.map((m) => { const o = el('option', m); o.value = m; return o }))
  if (metrics.includes(before)) select.value = before
  select.disabled = metrics.length < 2
}

/** One bar per period for the chosen metric: the sum of the visible cells of that period. */
function renderChart() {
  const chart = $('chart')
  chart.replaceChildren()
  const metric = $('chart-metric').value
  const rows = lastRows.filter((r) => r.metric === metric)
  if (rows.length === 0) { $('legend').textContent = ''; return }
  const unit = rows[0].unit
  const byPeriod = new Map()
  for (const r of rows) {
    const p = byPeriod.get(r.period) || { value: 0, visible: 0, hidden: 0 }
    if (r.suppressed || r.value === null) p.hidden++
    else { p.value += r.value; p.visible++ }
    byPeriod.set(r.period, p)
  }
  const periods = [...byPeriod.keys()].sort()
  const max = Math.max(1e-9, ...periods.map((p) => byPeriod.get(p).value))
  const slot = Math.max(56, Math.min(110, Math.floor(960 / periods.length))), left = 56, top = 22, plotH = 200, bottom = 40
  const width = left + periods.length * slot + 16
  const height = top + plotH + bottom
  chart.setAttribute('viewBox', '0 0 ' + width + ' ' + height)
  chart.setAttribute('width', String(width))
  chart.setAttribute('height', String(height))
  const defs = svg('defs', {})
  const pattern = svg('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' })
  pattern.append(svg('rect', { width: 6, height: 6, fill: '#eef1f4' }), svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: '#b3bcc6', 'stroke-width': 3 }))
  defs.append(pattern)
  chart.append(defs, svg('title', {}, metric + ' (' + unit + ') per period'))
  chart.append(svg('line', { class: 'axis', x1: left, y1: top + plotH, x2: width - 8, y2: top + plotH }))
  chart.append(svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: top + plotH }))
  chart.append(svg('text', { x: left - 6, y: top + 4, 'text-anchor': 'end' }, fmt.format(max)))
  chart.append(svg('text', { x: left - 6, y: top + plotH + 4, 'text-anchor': 'end' }, '0'))
  chart.append(svg('text', { x: 4, y: 12 }, unit))
  let partial = false
  periods.forEach((period, i) => {
    const p = byPeriod.get(period)
    const x = left + i * slot + 12
    const w = slot - 24
    let cls = 'bar'
    let h = (p.value / max) * plotH
    let label = fmt.format(p.value)
    if (p.visible === 0) { cls = 'bar hidden-value'; h = plotH * 0.25; label = 'suppressed' } // a marker, not a size
    else if (p.hidden > 0) { cls = 'bar partial'; label = '≥ ' + label; partial = true }
    const rect = svg('rect', { class: cls, x: x, y: top + plotH - h, width: w, height: Math.max(h, 1), 'data-period': period })
    rect.append(svg('title', {}, period + ': ' + (p.visible === 0 ? 'all cells suppressed' : label + ' ' + unit + (p.hidden ? ' (' + p.hidden + ' suppressed cell(s) not included)' : ''))))
    chart.append(rect)
    chart.append(svg('text', { x: x + w / 2, y: top + plotH - h - 5, 'text-anchor': 'middle' }, label))
    chart.append(svg('text', { x: x + w / 2, y: top + plotH + 16, 'text-anchor': 'middle' }, period))
  })
  $('legend').textContent = metric + ' (' + unit + '), sum of the visible cells per period.' +
    (partial ? ' A bar marked ≥ leaves out suppressed cells.' : '')
}

async function downloadCsv() {
  showError('')
  try {
    const res = await api(usageUrl('csv'))
    const url = URL.createObjectURL(await res.blob())
    const a = el('a')
    a.href = url
    a.download = 'usage-' + $('from').value + '-' + $('to').value + '.csv'
    document.body.append(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10000)
  } catch (e) {
    showError(e.message)
  }
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault()
  const value = $('token').value.trim()
  $('token').value = ''
  if (!value) { showError('The token is empty.'); return }
  sessionStorage.setItem(TOKEN_KEY, value)
  refreshTokenState()
  loadReport()
})
$('forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY)
  lastRows = []
  $('table').replaceChildren()
  $('chart').replaceChildren()
  $('legend').textContent = ''
  setStatus('')
  refreshTokenState()
})
$('query-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadReport() })
$('csv').addEventListener('click', downloadCsv)
$('chart-metric').addEventListener('change', renderChart)

const now = new Date()
$('to').value = month(now)
$('from').value = month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)))
refreshTokenState()
if (sessionStorage.getItem(TOKEN_KEY) !== null) loadReport()
`

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>eosc-am · usage dashboard</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>eosc-am · usage dashboard</h1>
  <p>Aggregated, pseudonymised usage per provider, resource and metric</p>
</header>
<main>
  <section aria-labelledby="token-h">
    <h2 id="token-h">API token</h2>
    <form id="token-form" autocomplete="off">
      <label>Bearer token (funder, provider or admin)<input id="token" type="password" autocomplete="off" spellcheck="false"></label>
      <button type="submit">Use token</button>
      <button type="button" id="forget" class="secondary">Forget token</button>
    </form>
    <p class="status" id="token-state"></p>
  </section>
  <section aria-labelledby="query-h">
    <h2 id="query-h">Usage</h2>
    <form id="query-form">
      <label>From month<input id="from" type="month" required></label>
      <label>To month<input id="to" type="month" required></label>
      <label>Group by<select id="group-by">
        <option value="provider">provider</option>
        <option value="resource">resource</option>
        <option value="metric">metric only</option>
      </select></label>
      <button type="submit" id="load">Load report</button>
      <button type="button" id="csv" class="secondary">Download CSV</button>
    </form>
    <p class="status" id="status" aria-live="polite"></p>
  </section>
  <div class="error" id="error" role="alert" hidden></div>
  <section aria-labelledby="chart-h">
    <div class="chart-head">
      <h2 id="chart-h">Value per month</h2>
      <label>Metric<select id="chart-metric"></select></label>
    </div>
    <svg id="chart" role="img" aria-label="bar chart of value per month" xmlns="http://www.w3.org/2000/svg"></svg>
    <p class="legend" id="legend"></p>
  </section>
  <section aria-labelledby="table-h">
    <h2 id="table-h">Table</h2>
    <div class="table-wrap"><table id="table"></table></div>
  </section>
</main>
<script type="module">${SCRIPT}</script>
</body>
</html>
`

/**
 * Only this page's own inline script and style (by hash) and same-origin fetches; no forms may
 * submit anywhere, so a token typed before the script runs can never end up in a URL.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
