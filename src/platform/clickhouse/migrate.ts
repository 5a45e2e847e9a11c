import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import type { Store } from './store.js'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url))

/**
 * Applies `migrations/NNNN_*.sql` in order, each once, recording them in `schema_migrations`.
 * Files hold idempotent DDL separated by `;` at line ends, so a crash mid-file is safe to re-run.
 */
export async function migrate(store: Store, dir = MIGRATIONS_DIR, onApplied: (name: string) => void = () => {}): Promise<string[]> {
  await store.command(
    'CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY name',
  )
  const done = new Set(
    (await store.query('SELECT name FROM schema_migrations FINAL', {}, z.object({ name: z.string() }))).map((r) => r.name),
  )
  const files = (await readdir(dir)).filter((f) => /^\d{4}_.+\.sql$/.test(f)).sort()
  const applied: string[] = []
  for (const file of files) {
    if (done.has(file)) continue
    const sql = await readFile(join(dir, file), 'utf8')
    for (const statement of splitStatements(sql)) await store.command(statement)
    await store.command('INSERT INTO schema_migrations (name) VALUES ({name:String})', { name: file })
    applied.push(file)
    onApplied(file)
  }
  return applied
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean)
}
