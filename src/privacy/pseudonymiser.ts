import { createHmac, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../platform/config.js'

export const MIN_KEY_BYTES = 32
const CACHE_LIMIT = 100_000

/** A key and the instant from which it pseudonymises (the first key of a ring covers all before). */
export interface PeriodKey {
  from: number
  key: Buffer
}

/**
 * Keyed HMAC-SHA256 pseudonyms. The keys never leave the process; a pseudonym is stable for a key,
 * so distinct-user counts work on pseudonyms alone. A keyring rotates keys per period (DESIGN
 * §3.6): a record is pseudonymised with the key of its accounting instant, so a subject has one
 * pseudonym within a key's period and unlinkable ones across periods. Results are cached per key
 * and distinct user: a batch of thousands of records usually names a few hundred users.
 */
export class Pseudonymiser {
  private readonly ring: { from: number; key: Buffer; cache: Map<string, string> }[]

  constructor(keys: Buffer | readonly PeriodKey[]) {
    const ring = Buffer.isBuffer(keys) ? [{ from: Number.NEGATIVE_INFINITY, key: keys }] : [...keys].sort((a, b) => a.from - b.from)
    if (ring.length === 0) throw new Error('a pseudonym keyring needs at least one key')
    for (const { key } of ring) {
      if (key.length < MIN_KEY_BYTES) throw new Error(`pseudonym key must be at least ${MIN_KEY_BYTES} bytes, got ${key.length}`)
    }
    this.ring = ring.map((k) => ({ ...k, cache: new Map() }))
  }

  /** The pseudonym under the key valid at `atMs` (epoch milliseconds; now by default). */
  pseudonymise(userId: string, atMs = Date.now()): string {
    let k = this.ring[0]!
    for (let i = 1; i < this.ring.length && this.ring[i]!.from <= atMs; i++) k = this.ring[i]!
    let p = k.cache.get(userId)
    if (p === undefined) {
      p = hmac(k.key, userId)
      if (k.cache.size >= CACHE_LIMIT) k.cache.clear()
      k.cache.set(userId, p)
    }
    return p
  }

  /** The keys, for the intake workers (threads of this process) to pseudonymise with. */
  get keyring(): PeriodKey[] {
    return this.ring.map(({ from, key }) => ({ from, key }))
  }

  /** The subject's pseudonym under every key of the ring (erasure). */
  everyPseudonym(userId: string): string[] {
    return [...new Set(this.ring.map((k) => hmac(k.key, userId)))]
  }
}

const hmac = (key: Buffer, userId: string) => 'u_' + createHmac('sha256', key).update(canonicalUserId(userId)).digest('base64url')

/** AAI subjects are case-sensitive identifiers; only surrounding blanks and Unicode forms are normalised. */
export function canonicalUserId(userId: string): string {
  return userId.trim().normalize('NFC')
}

/** Accepts hex (64+ digits) or base64; anything shorter than 32 bytes is refused. */
export function parseKey(text: string): Buffer {
  const t = text.trim()
  const key = /^[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0 ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64')
  if (key.length < MIN_KEY_BYTES) {
    throw new Error(`EOSC_AM_PSEUDONYM_KEY must decode to at least ${MIN_KEY_BYTES} bytes (hex or base64), got ${key.length}`)
  }
  return key
}

/**
 * `EOSC_AM_PSEUDONYM_KEYS` as a keyring: `PERIOD=KEY` entries, comma-separated, PERIOD a year
 * (`2026`) or a month (`2026-07`) from which the key applies (UTC), KEY as for `parseKey`.
 */
export function parseKeyring(text: string): PeriodKey[] {
  const ring = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(\d{4})(?:-(\d{2}))?=(.+)$/.exec(entry)
      if (!m || Number(m[2] ?? 1) < 1 || Number(m[2] ?? 1) > 12) {
        throw new Error(`EOSC_AM_PSEUDONYM_KEYS entries are PERIOD=KEY with PERIOD a year or YYYY-MM, got '${entry.split('=')[0]}'`)
      }
      let key: Buffer
      try {
        key = parseKey(m[3]!)
      } catch (err) {
        throw new Error(`EOSC_AM_PSEUDONYM_KEYS ${m[1]}${m[2] ? '-' + m[2] : ''}: ${(err as Error).message.replace(/^EOSC_AM_PSEUDONYM_KEY /, 'the key ')}`)
      }
      return { from: Date.UTC(Number(m[1]), Number(m[2] ?? 1) - 1, 1), key }
    })
  if (ring.length === 0) throw new Error('EOSC_AM_PSEUDONYM_KEYS holds no key')
  if (new Set(ring.map((k) => k.from)).size !== ring.length) throw new Error('EOSC_AM_PSEUDONYM_KEYS names a period twice')
  return ring
}

/** The configured key, or the one generated into the data folder on first start (mode 0600). */
export function loadOrCreateKey(configured: string | undefined, dataDir: string, onCreated: (path: string) => void): Buffer {
  if (configured) return parseKey(configured)
  const path = join(dataDir, 'pseudonym.key')
  if (existsSync(path)) return parseKey(readFileSync(path, 'utf8'))
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  chmodSync(path, 0o600)
  onCreated(path)
  return parseKey(readFileSync(path, 'utf8'))
}

/** The configured keyring or key, else the key generated into the data folder. */
export function openPseudonymiser(config: Pick<Config, 'pseudonymKey' | 'pseudonymKeys' | 'dataDir'>, onCreated: (path: string) => void): Pseudonymiser {
  return new Pseudonymiser(config.pseudonymKeys ?? loadOrCreateKey(config.pseudonymKey, config.dataDir, onCreated))
}
