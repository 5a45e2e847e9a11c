import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadOrCreateKey, parseKey, parseKeyring, Pseudonymiser } from './pseudonymiser.js'

describe('Pseudonymiser', () => {
  const key = Buffer.alloc(32, 7)

  it('is a keyed HMAC: stable per key, different across keys, never the input', () => {
    const p = new Pseudonymiser(key)
    const a = p.pseudonymise('alice@egi.eu')
    expect(a).toMatch(/^u_[A-Za-z0-9_-]{43}$/)
    expect(p.pseudonymise(' alice@egi.eu ')).toBe(a)
    expect(new Pseudonymiser(Buffer.alloc(32, 8)).pseudonymise('alice@egi.eu')).not.toBe(a)
    expect(p.pseudonymise('Alice@egi.eu')).not.toBe(a)
  })

  it('refuses keys under 32 bytes', () => {
    expect(() => new Pseudonymiser(Buffer.alloc(31))).toThrow(/at least 32 bytes/)
    expect(() => parseKey('abcd')).toThrow(/at least 32 bytes/)
    expect(parseKey('ab'.repeat(32))).toHaveLength(32)
    expect(parseKey(Buffer.alloc(48, 1).toString('base64'))).toHaveLength(48)
  })

  it('generates a key file once, private to the owner, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-'))
    let created = 0
    const k1 = loadOrCreateKey(undefined, dir, () => created++)
    const k2 = loadOrCreateKey(undefined, dir, () => created++)
    expect(k1.equals(k2)).toBe(true)
    expect(created).toBe(1)
    expect(statSync(join(dir, 'pseudonym.key')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, 'pseudonym.key'), 'utf8').trim()).toHaveLength(64)
  })

  it('rotates keys per period: the key of the accounting instant, the first one for anything before', () => {
    const k25 = Buffer.alloc(32, 1)
    const k26 = Buffer.alloc(32, 2)
    const ring = new Pseudonymiser(parseKeyring(`2026=${k26.toString('hex')}, 2025-01=${k25.toString('base64')}`))
    const single25 = new Pseudonymiser(k25)
    const single26 = new Pseudonymiser(k26)
    expect(ring.pseudonymise('alice@egi.eu', Date.UTC(2025, 11, 31, 23, 59))).toBe(single25.pseudonymise('alice@egi.eu'))
    expect(ring.pseudonymise('alice@egi.eu', Date.UTC(2026, 0, 1))).toBe(single26.pseudonymise('alice@egi.eu'))
    expect(ring.pseudonymise('alice@egi.eu', Date.UTC(2019, 5, 1))).toBe(single25.pseudonymise('alice@egi.eu'))
    expect(ring.everyPseudonym(' alice@egi.eu')).toEqual([single25.pseudonymise('alice@egi.eu'), single26.pseudonymise('alice@egi.eu')])
  })

  it('names what is wrong in a keyring', () => {
    const key = 'ab'.repeat(32)
    expect(() => parseKeyring(`26=${key}`)).toThrow(/PERIOD=KEY with PERIOD a year or YYYY-MM, got '26'/)
    expect(() => parseKeyring(`2026-13=${key}`)).toThrow(/got '2026-13'/)
    expect(() => parseKeyring(`2026=${key},2026-01=${key}`)).toThrow(/names a period twice/)
    expect(() => parseKeyring('2026=abcd')).toThrow(/at least 32 bytes/)
    expect(() => parseKeyring(' , ')).toThrow(/holds no key/)
  })
})
