/** RFC 4180 CSV: a header line, then one line per row; fields quoted when they need it. */
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(field).join(',')]
  for (const r of rows) lines.push(columns.map((c) => field(r[c])).join(','))
  return lines.join('\r\n') + '\r\n'
}

function field(v: unknown): string {
  if (v === null || v === undefined) return ''
  let s = typeof v === 'string' ? v : String(v)
  // A leading =,+,-,@ would run as a formula in a spreadsheet (CSV injection).
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = "'" + s
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
