import { describe, expect, it } from 'vitest'
import { argoNumber } from './argo-format.js'

describe("ARGO's %g numbers (reference §4.3)", () => {
  it.each([
    [null, '-1'],
    [74.72527, '74.72527'],
    [100, '100'],
    [0, '0'],
    [1, '1'],
    [0.25, '0.25'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [0.00003, '3e-05'],
    [99.999999, '99.999999'],
    [1234567, '1.234567e+06'],
  ])('%s → %s', (value, text) => {
    expect(argoNumber(value)).toBe(text)
  })
})
