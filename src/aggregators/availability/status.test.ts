import { describe, expect, it } from 'vitest'
import { compareSeverity, parseProbeStatus, parseStatus } from './status.js'

describe('status parsing', () => {
  it('reads probe statuses case-insensitively', () => {
    expect(parseProbeStatus('ok')).toBe('OK')
    expect(parseProbeStatus(' Warning ')).toBe('WARNING')
    expect(parseProbeStatus('CRITICAL')).toBe('CRITICAL')
    expect(parseProbeStatus('unknown')).toBe('UNKNOWN')
  })

  it('refuses the internal states and anything else as a probe status', () => {
    expect(parseProbeStatus('MISSING')).toBeUndefined()
    expect(parseProbeStatus('downtime')).toBeUndefined()
    expect(parseProbeStatus('EXCLUDED')).toBeUndefined()
    expect(parseProbeStatus('DOWN')).toBeUndefined()
    expect(parseProbeStatus('')).toBeUndefined()
  })

  it('reads every engine status back', () => {
    expect(parseStatus('missing')).toBe('MISSING')
    expect(parseStatus('Downtime')).toBe('DOWNTIME')
    expect(parseStatus('excluded')).toBe('EXCLUDED')
    expect(parseStatus('nope')).toBeUndefined()
  })

  it('ranks same-second results OK < WARNING < UNKNOWN < CRITICAL', () => {
    expect(compareSeverity('OK', 'WARNING')).toBeLessThan(0)
    expect(compareSeverity('WARNING', 'UNKNOWN')).toBeLessThan(0)
    expect(compareSeverity('UNKNOWN', 'CRITICAL')).toBeLessThan(0)
    expect(compareSeverity('CRITICAL', 'CRITICAL')).toBe(0)
  })
})
