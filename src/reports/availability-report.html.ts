import type { AvailabilityReportDoc } from './availability-report.js'

type Group = AvailabilityReportDoc['groups'][number]
type Day = Group['daily'][number]

/** Escapes text for HTML element content and double-quoted attributes. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const pct = (v: number | null, digits = 3) => (v === null ? '—' : `${v.toFixed(digits)}&nbsp;%`)
const frac = (v: number) => pct(Math.round(v * 1e5) / 1e3)

const CSS = `
:root{--ok:#1f8a4c;--bad:#c62828;--warn:#b26a00;--muted:#5f6b76;--line:#dde2e7;--bg:#f6f8fa;--dt:#2f6fb3}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2630;margin:0;background:#fff}
main{max-width:1200px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0 8px}
.card{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px}
.card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.bad b{color:var(--bad)}.card.ok b{color:var(--ok)}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em;background:var(--bg)}
td.n,th.n{text-align:right;white-space:nowrap}
tr.breach td:first-child{box-shadow:inset 4px 0 0 var(--bad)}
td.fail{color:var(--bad);font-weight:600;background:#fdecea}
.badge{display:inline-block;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
.badge.bad{background:#fdecea;color:var(--bad)}.badge.ok{background:#e6f4ea;color:var(--ok)}.badge.na{background:var(--bg);color:var(--muted)}
.meta{color:var(--muted);font-size:12px}
svg.bars{display:block}
.legend{color:var(--muted);font-size:12px;margin-top:8px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px;vertical-align:-1px}
.notes{color:var(--muted);font-size:12px;margin-top:28px}
.notes li{margin:2px 0}
@media print{main{padding:0}h2{break-after:avoid}tr{break-inside:avoid}}
`

/** One bar per day: height = availability, red below the target, grey when undefined, blue tick on downtime. */
function dailyBars(daily: readonly Day[], from: string, to: string, target: number): string {
  const days: string[] = []
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10))
  const byDay = new Map(daily.map((d) => [d.day, d]))
  const w = 7
  const h = 30
  const bars = days.map((day, i) => {
    const d = byDay.get(day)
    const x = i * w
    if (d === undefined) return `<rect x="${x}" y="${h - 2}" width="${w - 2}" height="2" fill="#e3e7eb"><title>${day}: not in the report</title></rect>`
    const title = `${day}: A ${d.availability === null ? 'undefined' : d.availability + ' %'}, R ${d.reliability === null ? 'undefined' : d.reliability + ' %'}, unknown ${Math.round(d.unknown * 1e5) / 1e3} %, downtime ${Math.round(d.downtime * 1e5) / 1e3} %`
    const tick = d.downtime > 0 ? `<rect x="${x}" y="${h + 1}" width="${w - 2}" height="3" fill="var(--dt)"/>` : ''
    if (d.availability === null) return `<rect x="${x}" y="${h - 8}" width="${w - 2}" height="8" fill="#b8c0c8"><title>${esc(title)}</title></rect>${tick}`
    const bh = Math.max(2, Math.round((d.availability / 100) * h))
    const colour = d.availability >= target ? 'var(--ok)' : 'var(--bad)'
    return `<rect x="${x}" y="${h - bh}" width="${w - 2}" height="${bh}" fill="${colour}"><title>${esc(title)}</title></rect>${tick}`
  })
  return `<svg class="bars" width="${days.length * w}" height="${h + 4}" viewBox="0 0 ${days.length * w} ${h + 4}" role="img" aria-label="daily availability">${bars.join('')}</svg>`
}

function groupRow(g: Group, doc: AvailabilityReportDoc): string {
  const cell = (html: string, fail: boolean | null) => `<td class="n${fail ? ' fail' : ''}">${html}</td>`
  const status = g.breach ? '<span class="badge bad">breach</span>' : g.availability === null ? '<span class="badge na">no data</span>' : '<span class="badge ok">met</span>'
  return `<tr class="${g.breach ? 'breach' : ''}">
<td><b>${esc(g.group)}</b><div class="meta">${esc(g.type)} · ${esc(g.provider)}${g.resource ? ` · ${esc(g.resource)}` : ''}</div></td>
${cell(pct(g.availability), g.breaches.availability)}${cell(pct(g.reliability), g.breaches.reliability)}${cell(frac(g.uptime), g.breaches.uptime)}${cell(frac(g.unknown), g.breaches.unknown)}${cell(frac(g.downtime), g.breaches.downtime)}
<td class="n">${g.computed_days}/${g.days}</td><td>${status}</td><td>${dailyBars(g.daily, doc.from, doc.to, doc.thresholds.availability)}</td></tr>`
}

/** The monthly report as a self-contained page (no external assets): targets, breaches, daily bars. */
export function availabilityReportHtml(doc: AvailabilityReportDoc): string {
  const t = doc.thresholds
  const breached = doc.summary.groups_in_breach
  const providers = doc.providers.length
    ? `<h2>Providers</h2><table><thead><tr><th>Provider</th><th class="n">Groups</th><th class="n">Availability (time-weighted)</th><th class="n">Reliability (time-weighted)</th><th class="n">Availability (mean of daily)</th><th class="n">Reliability (mean of daily)</th></tr></thead><tbody>
${doc.providers.map((p) => `<tr><td>${esc(p.provider)}</td><td class="n">${p.groups}</td><td class="n">${pct(p.time_weighted.availability)}</td><td class="n">${pct(p.time_weighted.reliability)}</td><td class="n">${pct(p.mean_of_daily.availability)}</td><td class="n">${pct(p.mean_of_daily.reliability)}</td></tr>`).join('\n')}
</tbody></table><p class="legend">Time-weighted: from the exact seconds of all member groups. Mean of daily: ARGO's figure for groups of groups, the mean of the members' daily percentages.</p>`
    : ''
  const downtimes = `<h2>Downtimes applied (${doc.downtimes.length})</h2>${
    doc.downtimes.length
      ? `<table><thead><tr><th>Id</th><th>Covers</th><th>Start (UTC)</th><th>End (UTC)</th><th>Reason</th></tr></thead><tbody>
${doc.downtimes.map((d) => `<tr><td>${esc(d.downtime_id)}</td><td>${d.group ? `group ${esc(d.group)}` : `${esc(d.hostname)} / ${esc(d.service)}`}</td><td>${esc(d.start)}</td><td>${esc(d.end)}</td><td>${esc(d.reason)}</td></tr>`).join('\n')}
</tbody></table>`
      : '<p class="meta">None.</p>'
  }`
  const recomputations = `<h2>Recomputations applied (${doc.recomputations.length})</h2>${
    doc.recomputations.length
      ? `<table><thead><tr><th>Kind</th><th>Excludes</th><th>Start (UTC)</th><th>End (UTC)</th><th>Reason</th><th>Requested</th></tr></thead><tbody>
${doc.recomputations.map((r) => {
  const what = [r.monitoring_host && `monitoring host ${r.monitoring_host}`, r.metric && `metric ${r.metric}`, r.group && `group ${r.group}`, r.hostname && `host ${r.hostname}`, r.service && `service ${r.service}`].filter(Boolean).join(', ')
  return `<tr><td>${esc(r.kind.replace(/_/g, ' '))}</td><td>${esc(what)}</td><td>${esc(r.start)}</td><td>${esc(r.end)}</td><td>${esc(r.reason)}</td><td>${esc(r.requested_by)}<div class="meta">${esc(r.requested_at)}</div></td></tr>`
}).join('\n')}
</tbody></table>`
      : '<p class="meta">None.</p>'
  }`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Availability report ${esc(doc.report)} — ${esc(doc.month)}</title><style>${CSS}</style></head>
<body><main>
<h1>Availability and reliability — ${esc(doc.month)}</h1>
<p class="sub">SLA report <b>${esc(doc.report)}</b> · ${esc(doc.from)} to ${esc(doc.to)} (UTC) · ${doc.closed ? 'month closed' : '<b>month in progress</b>: figures cover the days so far'} · generated ${esc(doc.generated_at)}</p>
<div class="cards">
<div class="card"><span>Groups</span><b>${doc.summary.groups}</b></div>
<div class="card ${breached ? 'bad' : 'ok'}"><span>Groups in breach</span><b>${breached}</b></div>
<div class="card"><span>Targets</span>A ≥ ${t.availability} % · R ≥ ${t.reliability} %<br>uptime ≥ ${t.uptime} % · unknown ≤ ${t.unknown} % · downtime ≤ ${t.downtime} %</div>
</div>
<h2>Groups</h2>
${doc.groups.length ? `<table><thead><tr><th>Group</th><th class="n">Availability</th><th class="n">Reliability</th><th class="n">Uptime</th><th class="n">Unknown</th><th class="n">Downtime</th><th class="n">Days</th><th>Target</th><th>Daily availability</th></tr></thead><tbody>
${doc.groups.map((g) => groupRow(g, doc)).join('\n')}
</tbody></table>
<p class="legend">Daily bars: height is the day's availability<i style="background:var(--ok)"></i>at or above ${t.availability} %<i style="background:var(--bad)"></i>below<i style="background:#b8c0c8"></i>undefined (no known time)<i style="background:var(--dt)"></i>scheduled downtime that day. Red cells miss their target.</p>` : '<p class="meta">The report has no groups for this month.</p>'}
${providers}
${downtimes}
${recomputations}
<ul class="notes">
<li>Days are UTC days of 86,400 s. Availability = up / (period − unknown − excluded); reliability = up / (period − unknown − excluded − downtime); up is OK or WARNING, unknown is UNKNOWN or MISSING. Undefined (—) when the denominator is zero.</li>
<li>Scheduled downtime covers its period to the end of its last minute (ARGO's rule): it lowers availability and is left out of reliability.</li>
<li>Monthly figures are time-weighted from the exact seconds of each day, not averages of daily percentages. "Days" counts computed days against the days the group existed.</li>
</ul>
</main></body></html>
`
}
