import { createHash } from 'node:crypto'
import { isFlaggedRetriable } from '../platform/retry.js'
import type { KindWriter, KindWriters } from './bus.js'
import { GroupCommit } from './group-commit.js'

interface Part {
  rows: readonly Record<string, unknown>[]
  dedupToken?: string
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * Group commit for writers fed concurrently (the Kafka sink consumes several partitions at once):
 * writes arriving together become one insert, and each write resolves only once its rows are
 * stored. The merged batch's dedup token is derived from its parts' tokens, so an identical
 * redelivered group is dropped by the store; a differently grouped redelivery is absorbed by the
 * writer's version check. When the store refuses a merged batch (not an outage), each part is
 * written alone, so one part's bad rows never fail the others.
 */
export function groupWriters(writers: KindWriters, limits = { maxRows: 50_000, maxBytes: 32 * 1024 * 1024, maxWaitMs: 20 }): KindWriters {
  const out: KindWriters = {}
  for (const [kind, writer] of Object.entries(writers) as [keyof KindWriters, KindWriter][]) {
    const gc = new GroupCommit<Part>((parts) => writeParts(writer, parts), limits)
    out[kind] = {
      decode: (v) => writer.decode(v),
      key: (r) => writer.key(r),
      write: (rows, { dedupToken }) =>
        new Promise<void>((resolve, reject) => {
          void gc.submit([{ rows, dedupToken, resolve, reject }], rows.length * 200)
        }),
    }
  }
  return out
}

async function writeParts(writer: KindWriter, parts: Part[]): Promise<void> {
  try {
    await writer.write(parts.flatMap((p) => p.rows), { dedupToken: mergedToken(parts) })
    for (const p of parts) p.resolve()
  } catch (err) {
    if (parts.length === 1 || isFlaggedRetriable(err)) {
      for (const p of parts) p.reject(err)
      return
    }
    for (const p of parts) {
      await writer.write(p.rows, { dedupToken: p.dedupToken }).then(p.resolve, p.reject)
    }
  }
}

function mergedToken(parts: Part[]): string | undefined {
  const tokens = parts.map((p) => p.dedupToken).filter((t): t is string => t !== undefined)
  if (!tokens.length) return undefined
  return parts.length === 1 ? tokens[0] : createHash('sha256').update(tokens.sort().join('|')).digest('hex')
}
