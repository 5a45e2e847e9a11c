/**
 * Numbers as ARGO's results API prints them (reference §4.3): strings from Go's `%g`, the
 * shortest decimal that round-trips, in exponent form when the exponent is below −4 (`1e-05`)
 * or 6 and above (`1e+06`); an undefined A/R is −1 (Decision 6).
 */
export function argoNumber(value: number | null): string {
  if (value === null) return '-1'
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`)
  const [mantissa, exp] = value.toExponential().split('e') as [string, string]
  const e = Number(exp)
  if (value !== 0 && (e < -4 || e >= 6)) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
  // Between 1e-4 and 1e6 JavaScript's shortest form is Go's (no exponent, no trailing zeros).
  return String(value)
}
