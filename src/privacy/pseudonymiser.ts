import { createHmac, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const MIN_KEY_BYTES = 32
const CACHE_LIMIT = 100_000

/**
 * Keyed HMAC-SHA256 pseudonyms. The key never leaves the process; the pseudonym is stable for a
 * key, so distinct-user counts work on pseudonyms alone. Results are cached per distinct user:
 * a batch of thousands of records usually names a few hundred users.
 */
export class Pseudonymiser {
  private readonly cache = new Map<string, string>()

  constructor(private readonly key: Buffer) {
    if (key.length < MIN_KEY_BYTES) throw new Error(`pseudonym key must be at least ${MIN_KEY_BYTES} bytes, got ${key.length}`)
  }

  pseudonymise(userId: string): string {
    let p = this.cache.get(userId)
    if (p === undefined) {
      p = 'u_' + createHmac('sha256', this.key).update(canonicalUserId(userId)).digest('base64url')
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear()
      this.cache.set(userId, p)
    }
    return p
  }
}

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
